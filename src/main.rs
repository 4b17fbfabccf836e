//! The `crawlrank` binary: glue over the library's [`crawlrank::cli`].

use std::process::ExitCode;

fn main() -> ExitCode {
    let code = crawlrank::cli::run(
        std::env::args_os(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    ExitCode::from(code as u8)
}
