//! The bundled default graph: a small synthetic crawl compiled into the library, so that
//! `crawlrank rank` with no input works from any folder and a finished run over it can be
//! read again by `export`.

use super::InputFile;

/// The bundled graph's name, as in the repository's `graphs/` folder.
pub const NAME: &str = "graphs/web-sample.tsv.gz";

/// The bundled graph's bytes (gzip text: 3,131 pages on 80 synthetic hosts, 17,549 links).
pub const BYTES: &[u8] = include_bytes!("../../graphs/web-sample.tsv.gz");

/// The bundled graph as an input.
pub fn input() -> InputFile {
    InputFile::Bundled {
        name: NAME,
        bytes: BYTES,
    }
}
