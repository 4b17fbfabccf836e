//! The `crawlrank` binary: the command line ([`cli`]) over the library. It parses the
//! arguments, runs the library's jobs, prints what they report, and owns the exit code.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    // stderr stays unlocked: the progress bars draw to it from their own thread.
    let code = cli::run(
        std::env::args_os(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr(),
    );
    ExitCode::from(code)
}
