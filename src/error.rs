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

/// Quotes a piece of input for an error message: lossy UTF-8, control characters escaped,
/// shortened to [`QUOTE_LIMIT`] characters.
pub fn quote(text: &[u8]) -> String {
    let lossy = String::from_utf8_lossy(text);
    let mut out = String::from("\"");
    for (count, c) in lossy.chars().enumerate() {
        if count == QUOTE_LIMIT {
            out.push_str("...");
            break;
        }
        out.extend(c.escape_debug());
    }
    out.push('"');
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
    fn parse_error_names_file_line_and_text() {
        let e = Error::parse("edges.tsv", 7, "expected 2 or 3 fields, found 1", b"lonely");
        assert_eq!(
            e.to_string(),
            "edges.tsv:7: expected 2 or 3 fields, found 1: \"lonely\""
        );
    }
}
