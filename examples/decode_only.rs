//! Decodes a file with crawlrank's own decoder (the same flate2/bzip2/zstd set-up and
//! decoding thread the reader uses) and throws the text away: the ceiling for reading a
//! compressed edge list, to compare with `crawlrank rank`'s read phase.
//!
//! Usage: `cargo run --release --example decode_only -- FILE`

use std::io::Read;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: decode_only FILE")?;
    let started = Instant::now();
    let (kind, mut reader) = crawlrank::input::decode(std::fs::File::open(&path)?)?;
    let mut buffer = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = reader.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{path}: {kind:?}, {total} bytes of text in {seconds:.3} s ({:.0} MB/s of text)",
        total as f64 / seconds / 1e6
    );
    Ok(())
}
