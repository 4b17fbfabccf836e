//! What a person reads: help and usage errors as clap lays them out (several lines, a Usage
//! line, colour only on a terminal and never with `NO_COLOR`), defaults shown once, an
//! examples section in every command's help that holds the README's tour, shell completions
//! and manual pages.

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
