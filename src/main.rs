//! The `crawlrank` binary: the command line ([`cli`]) over the library. It parses the
//! arguments, runs the library's jobs, prints what they report, and owns the exit code.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    // Neither stream is locked for the whole command: the progress bars draw to stderr from
    // their own thread, and `generate -o -` writes stdout from a worker thread.
    let code = cli::run(
        std::env::args_os(),
        &mut std::io::stdout(),
        &mut std::io::stderr(),
        cli::Colour::from_environment(),
    );
    ExitCode::from(code)
}
