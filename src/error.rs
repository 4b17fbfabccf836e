//! Typed errors of the library.
//!
//! Every error that comes from the user's input names where it happened: the file, the line
//! and the offending text. The binary adds nothing but the exit code.

use std::io;
use std::path::Path;

/// The longest piece of offending input quoted in an error message.
pub const QUOTE_LIMIT: usize = 120;

/// Everything that can go wrong in crawlrank.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file, or `<stdin>`.
        path: String,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// A line of an input could not be understood.
    #[error("{path}:{line}: {message}: {text}")]
    Parse {
        /// The file, or `<stdin>`.
        path: String,
        /// One-based line number.
        line: u64,
        /// What is wrong with it, and how to fix it where there is a fix.
        message: String,
        /// The offending text, quoted and shortened.
        text: String,
    },
    /// The inputs as a whole cannot be used (none found, empty, too many nodes).
    #[error("{0}")]
    Input(String),
    /// A parameter's value cannot work.
    #[error("{parameter} {message}")]
    Parameter {
        /// The parameter, as the library names it (`damping`, `tolerance`, `shards`...).
        parameter: &'static str,
        /// What is wrong with its value, starting with a verb ("must be at least 1").
        message: String,
    },
    /// The computed ranks are not a probability distribution (a value is not finite, is
    /// negative, or they do not sum to 1): nothing is returned or written.
    #[error("the ranks are not a probability distribution, so none were written: {0}")]
    Ranks(String),
    /// A setting that cannot work, beyond one parameter (a cluster that cannot form, a
    /// combination of options).
    #[error("{0}")]
    Config(String),
}

/// An error met while writing through `std::io` (a store read for a GEXF export), carried
/// as an I/O error of kind `Other` whose message is the error's.
impl From<Error> for io::Error {
    fn from(e: Error) -> io::Error {
        io::Error::other(e)
    }
}

/// Result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl AsRef<Path>, source: io::Error) -> Self {
        Error::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }

    /// A parameter whose value cannot work: `message` starts with a verb, as in
    /// `Error::parameter("shards", "must be at least 1")`.
    pub fn parameter(parameter: &'static str, message: impl Into<String>) -> Self {
        Error::Parameter {
            parameter,
            message: message.into(),
        }
    }

    /// A parse error at `path:line`, quoting `text`.
    pub fn parse(path: &str, line: u64, message: impl Into<String>, text: &[u8]) -> Self {
        Error::Parse {
            path: path.to_string(),
            line,
            message: message.into(),
            text: quote(text),
        }
    }
}

/// The most bytes of binary-looking input (NUL or many control bytes) quoted in a message.
pub const BINARY_QUOTE_LIMIT: usize = 32;

/// Quotes a piece of input for an error message: UTF-8 shown as text with control characters
/// escaped, bytes that are not UTF-8 as `\xNN`, shortened to about [`QUOTE_LIMIT`] bytes of
/// quoted text, or
/// to [`BINARY_QUOTE_LIMIT`] bytes when the input looks binary (then the message says so).
pub fn quote(text: &[u8]) -> String {
    let controls = text
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\r' | b'\n'))
        .count();
    let binary = text.contains(&0) || controls * 10 > text.len().max(1);
    // Escapes make binary bytes long: at most 56 characters of them, so that with the note
    // the whole quote stays within QUOTE_LIMIT.
    let (shown, limit) = if binary {
        (&text[..text.len().min(BINARY_QUOTE_LIMIT)], 56)
    } else {
        (text, QUOTE_LIMIT)
    };
    let mut out = String::from("\"");
    let mut count = 0;
    let mut used = 0;
    'chunks: for chunk in shown.utf8_chunks() {
        let pieces = chunk
            .valid()
            .chars()
            .map(|c| (c.escape_debug().to_string(), c.len_utf8()))
            .chain(chunk.invalid().iter().map(|b| (format!("\\x{b:02X}"), 1)));
        for (escaped, bytes) in pieces {
            if count + escaped.len() > limit {
                break 'chunks;
            }
            out.push_str(&escaped);
            count += escaped.len();
            used += bytes;
        }
    }
    if used < text.len() && !binary {
        out.push_str("...");
    }
    out.push('"');
    if binary {
        let part = if used < text.len() {
            format!(", first {used} of {} bytes", text.len())
        } else {
            String::new()
        };
        out.push_str(&format!(" (binary data{part}; is this an edge list?)"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_escapes_and_shortens() {
        assert_eq!(quote(b"a\tb"), "\"a\\tb\"");
        let long = vec![b'x'; 500];
        let q = quote(&long);
        assert!(q.ends_with("...\""), "{q}");
        assert_eq!(q.len(), QUOTE_LIMIT + 5);
    }

    #[test]
    fn binary_and_bad_utf8_are_escaped_and_short() {
        assert_eq!(quote(b"caf\xE9 ok"), "\"caf\\xE9 ok\"");
        let blob: Vec<u8> = (0..200u8).collect();
        let q = quote(&blob);
        assert!(
            q.ends_with("(binary data, first 13 of 200 bytes; is this an edge list?)"),
            "{q}"
        );
        assert!(q.starts_with("\"\\0\\u{1}"), "{q}");
        assert!(
            q.contains("\\u{c}\"") && !q.contains("\\r"),
            "only the first 13 bytes: {q}"
        );
        assert!(q.len() <= QUOTE_LIMIT + 5, "{q}");
    }

    #[test]
    fn parse_error_names_file_line_and_text() {
        let e = Error::parse("edges.tsv", 7, "expected 2 or 3 fields, found 1", b"lonely");
        assert_eq!(
            e.to_string(),
            "edges.tsv:7: expected 2 or 3 fields, found 1: \"lonely\""
        );
    }
}
