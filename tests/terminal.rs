//! What a person sees on a terminal: help and usage errors as clap lays them out (several
//! lines, a Usage line, colour only on a terminal and never with `NO_COLOR`), defaults shown
//! once, an examples section in every command's help that holds the README's tour, shell
//! completions and manual pages, and progress bars that tell the truth (rates a person can
//! read, an iteration bar that ends where the run stopped).

use std::path::Path;
use std::process::Command;

mod common;

const BIN: &str = env!("CARGO_BIN_EXE_crawlrank");

/// Runs the binary; returns (exit code, stdout, stderr).
fn cli(args: &[&str]) -> (i32, String, String) {
    common::crawlrank(args)
}

/// Every command a person can ask help for, as the words after `crawlrank`.
const COMMANDS: [&[&str]; 11] = [
    &["rank"],
    &["stats"],
    &["plot"],
    &["export"],
    &["export", "gexf"],
    &["export", "bvgraph"],
    &["generate"],
    &["generate", "rmat"],
    &["generate", "uniform"],
    &["completions"],
    &["man"],
];

/// The commands that run something (not groups of commands).
fn leaves() -> impl Iterator<Item = &'static [&'static str]> {
    COMMANDS
        .into_iter()
        .filter(|c| !matches!(c, [one] if *one == "export" || *one == "generate"))
}

#[test]
fn a_missing_command_prints_the_whole_help_with_its_usage_line() {
    for (args, usage) in [
        (&[][..], "Usage: crawlrank <COMMAND>"),
        (&["export"][..], "Usage: crawlrank export <COMMAND>"),
        (&["generate"][..], "Usage: crawlrank generate <COMMAND>"),
    ] {
        let (code, out, err) = cli(args);
        assert_eq!(code, 2, "{args:?}");
        assert!(out.is_empty(), "{args:?}: {out}");
        let lines: Vec<&str> = err.lines().collect();
        assert!(lines.contains(&usage), "{args:?}: {err}");
        assert!(lines.contains(&"Commands:"), "{args:?}: {err}");
        assert!(lines.contains(&"Examples:"), "{args:?}: {err}");
        assert!(lines.len() > 10, "{args:?}: {err}");
        // The old one-line form joined clap's lines with "; ".
        assert!(!err.contains(";   ") && !err.contains("; Commands:"), "{args:?}: {err}");
    }
}

#[test]
fn usage_errors_keep_their_lines() {
    let (code, _, err) = cli(&["generate", "rmat"]);
    assert_eq!(code, 2);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines[0], "error: the following required arguments were not provided:",
        "{err}"
    );
    assert_eq!(lines[1], "  --scale <SCALE>", "{err}");
    assert!(
        lines.contains(&"Usage: crawlrank generate rmat --scale <SCALE>"),
        "{err}"
    );

    let (code, _, err) = cli(&["rank", "--bogus"]);
    assert_eq!(code, 2);
    assert!(err.starts_with("error: unexpected argument '--bogus' found\n"), "{err}");
    assert!(!err.contains('\x1b'), "no colour into a pipe: {err:?}");
}

/// Runs the binary on a pseudo-terminal (util-linux `script`), with extra environment.
fn on_a_terminal(args: &str, env: &[(&str, &str)]) -> String {
    let output = Command::new("script")
        .args(["-qec", &format!("{BIN} {args}"), "/dev/null"])
        .env_remove("NO_COLOR")
        .envs(env.iter().copied())
        .output()
        .expect("`script` (util-linux) runs the binary on a terminal; install util-linux");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn colour_on_a_terminal_only_and_never_with_no_color() {
    let coloured = on_a_terminal("rank --sep pipe", &[]);
    assert!(coloured.contains("invalid value"), "{coloured:?}");
    assert!(coloured.contains("\x1b["), "a terminal gets colour: {coloured:?}");
    let plain = on_a_terminal("rank --sep pipe", &[("NO_COLOR", "1")]);
    assert!(plain.contains("invalid value"), "{plain:?}");
    assert!(!plain.contains('\x1b'), "NO_COLOR: {plain:?}");
    let help = on_a_terminal("stats --help", &[("NO_COLOR", "1")]);
    assert!(help.contains("Examples:") && !help.contains('\x1b'), "{help:?}");
}

/// The blocks of a help text, one per option (a block starts at a line whose first
/// non-blank character is `-`).
fn option_blocks(help: &str) -> Vec<String> {
    let mut blocks: Vec<String> = Vec::new();
    for line in help.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('-') && line.len() - trimmed.len() <= 6 {
            blocks.push(String::new());
        }
        if let Some(block) = blocks.last_mut() {
            block.push_str(line);
            block.push('\n');
        }
    }
    blocks
}

#[test]
fn defaults_are_shown_once() {
    let mut checked = 0;
    for command in COMMANDS {
        for flag in ["-h", "--help"] {
            let mut args = command.to_vec();
            args.push(flag);
            let (code, out, _) = cli(&args);
            assert_eq!(code, 0, "{args:?}");
            for block in option_blocks(&out) {
                assert!(block.matches("[default").count() <= 1, "{args:?}:\n{block}");
                checked += 1;
            }
        }
    }
    assert!(
        checked > 100,
        "only {checked} options seen: is the help still read right?"
    );
    let (_, out, _) = cli(&["generate", "rmat", "--help"]);
    assert!(out.contains("[default: standard output]"), "{out}");
}

/// The lines of the examples section of a help text.
fn examples(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| *l != "Examples:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

#[test]
fn every_command_has_examples_of_itself() {
    for command in leaves() {
        let mut args = command.to_vec();
        args.push("--help");
        let (_, out, _) = cli(&args);
        let examples = examples(&out);
        let prefix = format!("crawlrank {} ", command.join(" "));
        assert!(
            examples.iter().filter(|l| l.contains(&prefix)).count() >= 2,
            "{args:?}: no examples of `{prefix}`:\n{out}"
        );
    }
}

#[test]
fn every_command_of_the_readme_tour_is_in_its_help() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let tour = readme
        .split("## A short tour")
        .nth(1)
        .and_then(|t| t.split("```sh").nth(1))
        .and_then(|t| t.split("```").next())
        .expect("README.md has a tour section with a sh block");
    let mut checked = 0;
    for line in tour.lines().filter(|l| l.starts_with("crawlrank ")) {
        let command = line.split(" #").next().unwrap();
        let command: String = command.split_whitespace().collect::<Vec<_>>().join(" ");
        let words: Vec<&str> = command.split(' ').collect();
        let path: &[&str] = match words[1] {
            "export" | "generate" => &words[1..3],
            _ => &words[1..2],
        };
        let mut args = path.to_vec();
        args.push("--help");
        let (_, out, _) = cli(&args);
        assert!(
            examples(&out).iter().any(|l| l.starts_with(&command)),
            "README's `{command}` is not among the examples of `crawlrank {}`",
            path.join(" ")
        );
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} tour commands found in README.md");
}

#[test]
fn completions_for_every_shell() {
    for (shell, marker) in [
        ("bash", "complete -F _crawlrank"),
        ("zsh", "#compdef crawlrank"),
        ("fish", "complete -c crawlrank"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[crawlrank]"),
    ] {
        let (code, out, err) = cli(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        assert!(out.contains(marker), "{shell}: no `{marker}`");
        for word in ["personalize", "gexf-top", "scale", "bvgraph"] {
            assert!(out.contains(word), "{shell} completion lacks {word}");
        }
    }
    // The bash script parses.
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("crawlrank.bash");
    std::fs::write(&script, cli(&["completions", "bash"]).1).unwrap();
    let status = Command::new("bash").arg("-n").arg(&script).status().unwrap();
    assert!(status.success(), "bash -n rejects the completion script");
    let (code, _, err) = cli(&["completions", "tcsh"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("[possible values: bash, elvish, fish, powershell, zsh]"),
        "{err}"
    );
}

#[test]
fn manual_pages() {
    let (code, page, _) = cli(&["man"]);
    assert_eq!(code, 0);
    assert!(page.contains(".TH crawlrank 1"), "{page}");
    for word in ["rank", "stats", "export", "generate", "completions", "Examples:"] {
        assert!(page.contains(word), "crawlrank.1 lacks {word}");
    }
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = cli(&["man", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    for name in [
        "crawlrank.1",
        "crawlrank-rank.1",
        "crawlrank-export-gexf.1",
        "crawlrank-generate-rmat.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(text.starts_with(".ie") || text.contains(".TH"), "{name}");
    }
    let rank = std::fs::read_to_string(dir.path().join("crawlrank-rank.1")).unwrap();
    assert!(rank.contains("personalize"), "crawlrank-rank.1 lacks --personalize");
    let missing = dir.path().join("no-such-folder");
    let (code, _, err) = cli(&["man", "--dir", missing.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("no-such-folder") && err.contains("not a folder"), "{err}");
}

/// The distinct lines a terminal showed, escapes and bar glyphs removed.
fn frames(raw: &str) -> Vec<String> {
    let mut text = String::new();
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // CSI: ESC [ parameters final-letter.
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
        } else {
            text.push(c);
        }
    }
    let mut frames: Vec<String> = Vec::new();
    for line in text.split(['\r', '\n']).map(str::trim_end).filter(|l| !l.is_empty()) {
        if frames.last().map(String::as_str) != Some(line) {
            frames.push(line.to_string());
        }
    }
    frames
}

#[test]
fn progress_bars_read_well_and_the_iteration_bar_ends_where_the_run_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let graph = dir.path().join("r16.tsv");
    let shown = frames(&on_a_terminal(
        &format!("generate rmat --scale 17 -o {}", graph.display()),
        &[],
    ));
    let generating: Vec<&String> = shown.iter().filter(|f| f.starts_with("generating")).collect();
    assert!(!generating.is_empty(), "no generator bar on a terminal: {shown:#?}");
    for frame in &generating {
        // `8,664,136.1053/s` was indicatif's raw rate; rates now have an SI prefix.
        assert!(!frame.contains(".") || frame.contains(" edges/s"), "{frame}");
        if let Some(rate) = frame.split(" · ").find(|part| part.ends_with("edges/s")) {
            let number = rate.split(' ').next().unwrap();
            assert!(number.len() <= 4, "three significant digits: {frame}");
        }
    }

    // Converged: the bar's last frame names the iteration the run stopped at.
    let out = dir.path().join("out");
    let shown = frames(&on_a_terminal(
        &format!("rank {} -o {}", graph.display(), out.display()),
        &[],
    ));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let iterations = summary["iterations_run"].as_u64().unwrap();
    let last = shown
        .iter()
        .rfind(|f| f.starts_with("iterating"))
        .expect("an iteration bar");
    assert!(
        last.contains(&format!("converged at iteration {iterations}:")),
        "{last}\n{shown:#?}"
    );
    assert!(
        !shown.iter().any(|f| f.contains("/1000")),
        "counts to the limit: {shown:#?}"
    );

    // Stopped by --max-iter: the bar says so.
    let shown = frames(&on_a_terminal(
        &format!("rank {} -o {} --max-iter 3 --force", graph.display(), out.display()),
        &[],
    ));
    let last = shown
        .iter()
        .rfind(|f| f.starts_with("iterating"))
        .expect("an iteration bar");
    assert!(last.contains("stopped at iteration 3 (--max-iter)"), "{last}");
}
