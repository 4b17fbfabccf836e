//! Compression detected from a stream's first bytes, never from its name.
//!
//! gzip (every member of a multi-member file), bzip2 (every stream) and zstd (every frame) are
//! decoded on a thread of their own, so that decompression and parsing overlap on two cores.

use std::io::{self, BufRead, BufReader, Read};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use serde::Serialize;

/// How an input stream is compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// RFC 1952 gzip, possibly several members one after the other (as `cat a.gz b.gz`).
    Gzip,
    /// bzip2, possibly several streams.
    Bzip2,
    /// Zstandard, possibly several frames.
    Zstd,
    /// Not compressed.
    Plain,
}

impl Compression {
    /// Recognises the magic number at the start of `head`.
    pub fn detect(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(b"BZh") {
            Compression::Bzip2
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::Plain
        }
    }
}

/// Size of the blocks handed from the decoding thread to the parser.
const BLOCK: usize = 1 << 20;
/// Blocks in flight between the decoding thread and the parser: more than the parallel
/// parser takes in one batch (16 MiB with 2 threads), so that the decoder keeps decoding
/// while a batch is parsed instead of stopping after a few blocks (with 4 blocks, gzip input
/// was read at 66 % of the speed of decoding alone).
const BLOCKS_IN_FLIGHT: usize = 48;

/// Wraps `raw` in the decoder its first bytes call for.
///
/// Plain text is read directly; compressed text is decoded on a separate thread and handed
/// over in blocks.
pub fn decode<R: Read + Send + 'static>(raw: R) -> io::Result<(Compression, Box<dyn BufRead + Send>)> {
    let mut buffered = BufReader::with_capacity(BLOCK, raw);
    let kind = Compression::detect(buffered.fill_buf()?);
    let reader: Box<dyn BufRead + Send> = match kind {
        Compression::Plain => Box::new(buffered),
        Compression::Gzip => Box::new(ThreadedReader::spawn(flate2::bufread::MultiGzDecoder::new(buffered))),
        Compression::Bzip2 => Box::new(ThreadedReader::spawn(bzip2::bufread::MultiBzDecoder::new(buffered))),
        Compression::Zstd => Box::new(ThreadedReader::spawn(zstd::stream::read::Decoder::with_buffer(
            buffered,
        )?)),
    };
    Ok((kind, reader))
}

/// A reader whose source runs on its own thread, handing over filled blocks.
struct ThreadedReader {
    blocks: Receiver<io::Result<Vec<u8>>>,
    current: Vec<u8>,
    position: usize,
    done: bool,
    worker: Option<JoinHandle<()>>,
    // Returns emptied blocks to the worker so that it does not allocate per block.
    recycle: SyncSender<Vec<u8>>,
}

impl ThreadedReader {
    fn spawn<R: Read + Send + 'static>(mut source: R) -> Self {
        let (block_tx, blocks) = sync_channel::<io::Result<Vec<u8>>>(BLOCKS_IN_FLIGHT);
        let (recycle, recycled) = sync_channel::<Vec<u8>>(BLOCKS_IN_FLIGHT + 2);
        let worker = std::thread::Builder::new()
            .name("crawlrank-decode".into())
            .spawn(move || {
                loop {
                    let mut block = recycled.try_recv().unwrap_or_else(|_| Vec::with_capacity(BLOCK));
                    block.resize(BLOCK, 0);
                    let mut filled = 0;
                    let result = loop {
                        match source.read(&mut block[filled..]) {
                            Ok(0) => break Ok(()),
                            Ok(n) => {
                                filled += n;
                                if filled == block.len() {
                                    break Ok(());
                                }
                            }
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                            Err(e) => break Err(e),
                        }
                    };
                    block.truncate(filled);
                    let end = filled == 0;
                    let message = match result {
                        Ok(()) => Ok(block),
                        Err(e) => {
                            // Deliver what was decoded before the error, then the error itself.
                            if filled > 0 && block_tx.send(Ok(block)).is_err() {
                                return;
                            }
                            let _ = block_tx.send(Err(e));
                            return;
                        }
                    };
                    if block_tx.send(message).is_err() || end {
                        return;
                    }
                }
            })
            .expect("spawning the decoding thread");
        ThreadedReader {
            blocks,
            current: Vec::new(),
            position: 0,
            done: false,
            worker: Some(worker),
            recycle,
        }
    }
}

impl Read for ThreadedReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for ThreadedReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.position == self.current.len() && !self.done {
            match self.blocks.recv() {
                Ok(Ok(block)) if block.is_empty() => self.done = true,
                Ok(Ok(block)) => {
                    let old = std::mem::replace(&mut self.current, block);
                    let _ = self.recycle.try_send(old);
                    self.position = 0;
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                // The worker ended without an empty block: it can only have panicked.
                Err(_) => {
                    self.done = true;
                    return Err(io::Error::other("the decoding thread stopped unexpectedly"));
                }
            }
        }
        Ok(&self.current[self.position..])
    }

    fn consume(&mut self, amount: usize) {
        self.position = (self.position + amount).min(self.current.len());
    }
}

impl Drop for ThreadedReader {
    fn drop(&mut self) {
        // Dropping the receiver makes the worker's next send fail, so it ends by itself; we do
        // not wait for it, since it may be blocked on a slow read.
        self.worker.take();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn read_all(bytes: Vec<u8>) -> (Compression, io::Result<Vec<u8>>) {
        let (kind, mut reader) = decode(io::Cursor::new(bytes)).unwrap();
        let mut out = Vec::new();
        let result = reader.read_to_end(&mut out).map(|_| out);
        (kind, result)
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn detects_and_decodes_every_format() {
        let text: Vec<u8> = (0..100_000)
            .flat_map(|i| format!("{i}\t{}\n", i * 7).into_bytes())
            .collect();
        let bz = {
            let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
            e.write_all(&text).unwrap();
            e.finish().unwrap()
        };
        let zs = zstd::stream::encode_all(&text[..], 1).unwrap();
        for (bytes, expected) in [
            (text.clone(), Compression::Plain),
            (gzip(&text), Compression::Gzip),
            (bz, Compression::Bzip2),
            (zs, Compression::Zstd),
        ] {
            let (kind, out) = read_all(bytes);
            assert_eq!(kind, expected);
            assert_eq!(out.unwrap(), text, "{expected:?}");
        }
    }

    #[test]
    fn reads_every_gzip_member() {
        let mut both = gzip(b"1 2\n");
        both.extend(gzip(b"3 4\n"));
        let (_, out) = read_all(both);
        assert_eq!(out.unwrap(), b"1 2\n3 4\n");
    }

    #[test]
    fn truncated_gzip_is_an_error() {
        let text: Vec<u8> = (0..50_000).flat_map(|i| format!("{i} {i}\n").into_bytes()).collect();
        let mut gz = gzip(&text);
        gz.truncate(gz.len() / 2);
        let (_, out) = read_all(gz);
        assert!(out.is_err(), "a truncated gzip stream must not read as complete");
    }

    #[test]
    fn empty_input_is_plain_and_empty() {
        let (kind, out) = read_all(Vec::new());
        assert_eq!(kind, Compression::Plain);
        assert!(out.unwrap().is_empty());
    }
}
