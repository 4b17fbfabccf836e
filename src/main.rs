//! The `crawlrank` binary: glue over the library's [`crawlrank::cli`].

use std::process::ExitCode;

fn main() -> ExitCode {
    // stderr stays unlocked: the progress bars draw to it from their own thread.
    let code = crawlrank::cli::run(
        std::env::args_os(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr(),
    );
    ExitCode::from(code as u8)
}
