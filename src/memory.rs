//! The process's peak memory, for the summary and benchmarks.

/// Peak resident set size of this process in bytes (`VmHWM`), on Linux; `None` elsewhere.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(target_os = "linux")]
    fn reads_a_plausible_peak() {
        let peak = super::peak_rss_bytes().expect("Linux has /proc/self/status");
        assert!(peak > 1 << 20, "{peak}");
    }
}
