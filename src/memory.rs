//! The process's peak memory, for the summary and benchmarks.

/// Peak resident set size of this process in bytes (`VmHWM`), on Linux; `None` elsewhere.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The machine's memory in bytes (`MemTotal`), on Linux; `None` elsewhere.
pub fn total_memory_bytes() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The memory a run may use when not told (`--memory`): three quarters of the machine's,
/// or 4 GiB where that is unknown.
pub fn default_budget() -> u64 {
    total_memory_bytes().map_or(4 << 30, |total| total / 4 * 3)
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
