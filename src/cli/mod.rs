//! The command line, callable in-process: [`run`] takes the arguments and two writers and
//! returns the exit code, so that tests can drive whole pipelines without a subprocess.
//!
//! Arguments are parsed in two layers: clap fills the raw structs in [`args`], then this
//! module validates them into library jobs ([`RankJob`]) and runs those on a rayon pool of
//! the requested size.

pub mod args;
pub mod progress;

use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::Parser;

use crate::algo::PageRankConfig;
use crate::error::{Error, Result};
use crate::graph::BuildOptions;
use crate::input::{self, InputFile, ParseOptions};
use crate::output::TopRow;
use crate::output::{GexfExport, GexfOptions, SelectBy};
use crate::rank::{self, LoadOptions, RankJob};
use args::{
    Cli, Command, ExportCommand, ExportGexfArgs, GenerateArgs, GenerateCommand, GexfStyleArgs, InputArgs, PlotArgs,
    RankArgs, StatsArgs,
};
use progress::{Bars, human_bytes};

/// The bundled default graph's name, as in the repository's `graphs/` folder.
pub const BUNDLED_NAME: &str = "graphs/web-sample.tsv.gz";
/// The bundled default graph, compiled in so that `crawlrank rank` works from any folder.
pub const BUNDLED_GRAPH: &[u8] = include_bytes!("../../graphs/web-sample.tsv.gz");

/// Exit code of a failed run.
pub const EXIT_FAILURE: i32 = 2;

/// Runs the command line `args` (program name first), writing results to `stdout` and
/// messages to `stderr`. Returns the process exit code: 0, or 2 on any error.
pub fn run<I, T>(args: I, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            return if e.use_stderr() {
                let _ = writeln!(stderr, "crawlrank: {}", one_line(&e.render().to_string()));
                EXIT_FAILURE
            } else {
                let _ = write!(stdout, "{}", e.render());
                0
            };
        }
    };
    let command: Vec<String> = args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let outcome = match cli.command {
        Command::Rank(a) => rank_command(a, command, stdout, stderr),
        Command::Stats(a) => stats_command(a, stdout),
        Command::Export(ExportCommand::Gexf(a)) => export_gexf_command(a, command, stderr),
        Command::Plot(a) => plot_command(a, stderr),
        Command::Generate(GenerateCommand::Rmat(a)) => generate_command(crate::generate::Model::GRAPH500, a, stderr),
        Command::Generate(GenerateCommand::Uniform(a)) => generate_command(crate::generate::Model::Uniform, a, stderr),
    };
    match outcome {
        Ok(()) => 0,
        Err(Failure::BrokenPipe) => 0,
        Err(Failure::Error(e)) => {
            let _ = writeln!(stderr, "crawlrank: error: {e}");
            EXIT_FAILURE
        }
    }
}

/// Folds clap's multi-line usage error into one line: `error: …; [possible values: …]; see
/// --help`.
fn one_line(text: &str) -> String {
    let parts: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .collect();
    format!("{}; see --help", parts.join("; "))
}

/// Why a command stopped.
enum Failure {
    /// The reader of stdout went away (`| head`): not an error.
    BrokenPipe,
    Error(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Error(e)
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Failure::BrokenPipe
        } else {
            Failure::Error(Error::io("<stdout>", e))
        }
    }
}

/// Builds a rayon pool of `threads` threads (all cores by default).
fn pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    if threads == Some(0) {
        return Err(Error::Config("--threads must be at least 1".to_string()));
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .thread_name(|i| format!("crawlrank-{i}"))
        .build()
        .map_err(|e| Error::Config(format!("cannot start the worker threads: {e}")))
}

fn load_options(a: &InputArgs) -> LoadOptions {
    LoadOptions {
        parse: ParseOptions {
            separator: a.sep,
            weighted: a.weighted,
            skip_bad_lines: a.skip_bad_lines,
            header: a.header,
        },
        ids: a.ids,
        build: BuildOptions {
            multi: a.multi,
            shards: a.shards,
            general_path: false,
        },
    }
}

/// The default result folder's name: the first input's file name without its extensions.
pub fn default_output_name(inputs: &[String]) -> String {
    let Some(first) = inputs.first() else {
        return "web-sample".to_string();
    };
    if first == "-" {
        return "stdin".to_string();
    }
    let name = Path::new(first.trim_end_matches('/'))
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "input".to_string());
    let stem = name.split(['*', '?', '[']).next().unwrap_or(&name);
    let stem = stem.split('.').next().unwrap_or(stem).trim_end_matches(['-', '_']);
    if stem.is_empty() {
        "input".to_string()
    } else {
        stem.to_string()
    }
}

fn rank_command(
    a: RankArgs,
    command: Vec<String>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<(), Failure> {
    let inputs = if a.inputs.is_empty() {
        vec![InputFile::Bundled {
            name: BUNDLED_NAME,
            bytes: BUNDLED_GRAPH,
        }]
    } else {
        input::expand(&a.inputs)?
    };
    if let Some(p) = &a.personalize
        && !p.is_file()
    {
        return Err(Error::Input(format!("{}: no such personalization file", p.display())).into());
    }
    if a.top == 0 {
        return Err(Error::Config("--top must be at least 1".to_string()).into());
    }
    let output = a
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(default_output_name(&a.inputs)));
    let job = RankJob {
        inputs,
        load: load_options(&a.input),
        pagerank: PageRankConfig {
            damping: a.damping,
            tolerance: a.tol,
            max_iterations: a.max_iter,
            dangling: a.dangling,
            precision: a.precision,
        },
        personalize: a.personalize.clone(),
        output: output.clone(),
        compression: a.compress,
        top: a.top,
        plots: (a.plots || a.inputs.is_empty()).then_some(a.plot_format),
        gexf: a.gexf.clone().map(|path| GexfExport {
            path,
            select: SelectBy::Top(a.gexf_top),
            neighbors: false,
            max_nodes: a.gexf_top,
            options: gexf_options(&a.gexf_style),
        }),
        command,
    };
    if a.gexf.is_some() && a.gexf_top == 0 {
        return Err(Error::Config("--gexf-top must be at least 1".to_string()).into());
    }
    job.pagerank.validate()?;
    let outcome = if let Some(hosts) = &a.cluster.hosts {
        if a.precision != crate::algo::Precision::F64 {
            return Err(Error::Config(
                "--precision f32 is not available with --hosts: the distributed executor sends f64 shares".to_string(),
            )
            .into());
        }
        if !(a.cluster.connect_timeout > 0.0 && a.cluster.connect_timeout.is_finite()) {
            return Err(Error::Config("--connect-timeout must be a positive number of seconds".to_string()).into());
        }
        let workers = a
            .cluster
            .workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        let cluster = crate::distributed::cluster::Cluster::from_hosts_file(
            hosts,
            a.cluster.process,
            workers,
            std::time::Duration::from_secs_f64(a.cluster.connect_timeout),
        )?;
        match pool(Some(workers))?.install(|| crate::distributed::job::run(&job, &cluster))? {
            crate::distributed::job::ProcessOutcome::Coordinator(outcome) => *outcome,
            crate::distributed::job::ProcessOutcome::Member { part_files, output } => {
                if !a.input.quiet {
                    writeln!(
                        stderr,
                        "crawlrank: process {} of {}: wrote {part_files} part files to {}; process 0 writes the summary",
                        cluster.process,
                        cluster.processes(),
                        output.join("ranks").display()
                    )?;
                }
                return Ok(());
            }
        }
    } else {
        let bars = Bars::new(!a.input.quiet && io::stderr().is_terminal());
        pool(a.input.threads)?.install(|| rank::run(&job, &bars))?
    };
    if a.input.quiet {
        return Ok(());
    }
    write_top_table(stdout, &outcome.top[..outcome.top.len().min(20)])?;
    let s = &outcome.summary;
    writeln!(
        stderr,
        "crawlrank: {} nodes, {} edges, {} iterations ({}; L1 error <= {:.1e}), {:.2} s, peak memory {}; results in {}",
        s.graph.nodes,
        s.graph.edges,
        s.iterations_run,
        if s.converged {
            "converged"
        } else {
            "NOT converged: raise --max-iter or --tol"
        },
        s.error_bound,
        s.phases.total,
        s.peak_rss_bytes.map_or("unknown".to_string(), human_bytes),
        output.display()
    )?;
    Ok(())
}

fn generate_command(model: crate::generate::Model, a: GenerateArgs, stderr: &mut dyn Write) -> Result<(), Failure> {
    let options = crate::generate::GenerateOptions {
        model,
        scale: a.scale,
        edge_factor: a.edge_factor,
        seed: a.seed,
        urls: a.urls,
    };
    let started = std::time::Instant::now();
    let bar = (!a.quiet && io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "generating {bar:30} {human_pos}/{human_len} edges {per_sec} ETA {eta}",
            )
            .expect("valid template"),
        );
        bar
    });
    let out = pool(a.threads)?.install(|| {
        crate::generate::generate(&options, &a.output, &mut |done, total| {
            if let Some(bar) = &bar {
                bar.set_length(total);
                bar.set_position(done);
            }
        })
    })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if !a.quiet {
        writeln!(
            stderr,
            "crawlrank: {} edges over {} node ids, {} written to {} in {:.1} s",
            out.edges,
            out.nodes,
            human_bytes(out.bytes),
            a.output.display(),
            started.elapsed().as_secs_f64()
        )?;
    }
    Ok(())
}

fn plot_command(a: PlotArgs, stderr: &mut dyn Write) -> Result<(), Failure> {
    let dir = &a.result;
    if !dir.join("ranks").join(crate::output::SUCCESS).is_file() {
        return Err(Error::Input(format!(
            "{}: not a complete crawlrank result (no ranks/_SUCCESS); run `crawlrank rank ... -o {}` first",
            dir.display(),
            dir.display()
        ))
        .into());
    }
    let summary = crate::output::Summary::read(dir)?;
    let top = crate::output::read_top(&dir.join("top.tsv"))?;
    let files = crate::plot::draw_all(&crate::plot::ChartData::new(&summary, &top), dir, a.plot_format)?;
    let report = crate::report::write(&summary, &top, dir)?;
    if !a.quiet {
        writeln!(
            stderr,
            "crawlrank: {} charts in {}, report in {}",
            files.len(),
            dir.join("plots").display(),
            report.display()
        )?;
    }
    Ok(())
}

fn gexf_options(style: &GexfStyleArgs) -> GexfOptions {
    GexfOptions {
        version: style.gexf_version,
        color_by: style.color_by,
        layout: style.layout,
        creator: format!("crawlrank {}", env!("CARGO_PKG_VERSION")),
        description: String::new(),
    }
}

fn export_gexf_command(a: ExportGexfArgs, command: Vec<String>, stderr: &mut dyn Write) -> Result<(), Failure> {
    let select = match (a.top, a.min_rank, &a.nodes) {
        (_, Some(x), _) if !(x.is_finite() && x >= 0.0) => {
            return Err(Error::Config(format!("--min-rank must be a number >= 0, not {x}")).into());
        }
        (_, Some(x), _) => SelectBy::MinRank(x),
        (_, _, Some(file)) => SelectBy::Nodes(file.clone()),
        (Some(0), _, _) => return Err(Error::Config("--top must be at least 1".to_string()).into()),
        (top, _, _) => SelectBy::Top(top.unwrap_or(1000)),
    };
    if a.max_nodes == 0 {
        return Err(Error::Config("--max-nodes must be at least 1".to_string()).into());
    }
    let mut options = gexf_options(&a.style);
    options.description = format!(
        "Exported from the crawlrank result {}; command: {}",
        a.result.display(),
        command.join(" ")
    );
    let job = crate::export::ExportGexfJob {
        result: a.result.clone(),
        inputs: a.inputs.clone(),
        export: GexfExport {
            path: a.output.clone().unwrap_or_else(|| a.result.join("top.gexf")),
            select,
            neighbors: a.neighbors,
            max_nodes: a.max_nodes,
            options,
        },
    };
    let bars = Bars::new(!a.quiet && io::stderr().is_terminal());
    let report = pool(a.threads)?.install(|| crate::export::export_gexf(&job, &bars))?;
    if !a.quiet {
        writeln!(
            stderr,
            "crawlrank: wrote {} nodes and {} edges to {}; peak memory {}",
            report.nodes,
            report.edges,
            report.path,
            crate::memory::peak_rss_bytes().map_or("unknown".to_string(), human_bytes)
        )?;
    }
    Ok(())
}

/// Prints the top rows as an aligned table; ids longer than 60 characters are shortened in
/// the middle.
pub fn write_top_table(out: &mut dyn Write, rows: &[TopRow]) -> io::Result<()> {
    let ids: Vec<String> = rows.iter().map(|r| shorten(&r.id, 60)).collect();
    let width = ids.iter().map(|s| s.chars().count()).max().unwrap_or(2).max(2);
    writeln!(
        out,
        "{:>4}  {:<width$}  {:>12}  {:>9}  {:>9}",
        "#", "id", "pagerank", "in", "out"
    )?;
    for (row, id) in rows.iter().zip(&ids) {
        let pad = width - id.chars().count();
        writeln!(
            out,
            "{:>4}  {}{}  {:>12.6e}  {:>9}  {:>9}",
            row.position,
            id,
            " ".repeat(pad),
            row.pagerank,
            row.in_degree,
            row.out_degree
        )?;
    }
    Ok(())
}

/// Shortens `text` to at most `max` characters by cutting out its middle.
pub fn shorten(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max {
        return text.to_string();
    }
    let head = (max - 1) / 2;
    let tail = max - 1 - head;
    let start: String = text.chars().take(head).collect();
    let end: String = text.chars().skip(count - tail).collect();
    format!("{start}…{end}")
}

fn stats_command(a: StatsArgs, stdout: &mut dyn Write) -> Result<(), Failure> {
    let inputs = input::expand(&a.inputs)?;
    let options = load_options(&a.input);
    let bars = Bars::new(!a.input.quiet && io::stderr().is_terminal());
    let report = pool(a.input.threads)?.install(|| -> Result<_> {
        let loaded = rank::load(&inputs, &options, &bars)?;
        Ok(crate::stats::report(&loaded.graph, &loaded.nodes))
    })?;
    if a.json {
        serde_json::to_writer_pretty(&mut *stdout, &report).map_err(io::Error::from)?;
        writeln!(stdout)?;
        return Ok(());
    }
    let c = &report.counts;
    writeln!(stdout, "nodes            {}", c.nodes)?;
    writeln!(stdout, "edges            {} (of {} edge lines)", c.edges, c.edges_read)?;
    writeln!(
        stdout,
        "duplicate edges  {}{}",
        c.duplicate_edges,
        if c.multi {
            " (kept as parallel edges: --multi)"
        } else {
            " (collapsed)"
        }
    )?;
    writeln!(stdout, "self-loops       {}", c.self_loops)?;
    writeln!(stdout, "dangling nodes   {}", c.dangling_nodes)?;
    for (name, d) in [("out-degree", &report.out_degree), ("in-degree", &report.in_degree)] {
        writeln!(
            stdout,
            "{name:<16} min {}, median {}, mean {:.3}, max {}",
            d.min, d.median, d.mean, d.max
        )?;
        for (id, degree) in &d.top {
            writeln!(stdout, "  {degree:>10}  {}", shorten(id, 80))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_output_names() {
        assert_eq!(default_output_name(&["../data/cnr-2000.el.gz".into()]), "cnr-2000");
        assert_eq!(default_output_name(&["crawl/".into()]), "crawl");
        assert_eq!(default_output_name(&["parts/part-*.gz".into()]), "part");
        assert_eq!(default_output_name(&["-".into()]), "stdin");
        assert_eq!(default_output_name(&[]), "web-sample");
    }

    #[test]
    fn usage_errors_fit_on_one_line() {
        let mut out = Vec::new();
        let mut err = Vec::new();
        assert_eq!(
            run(["crawlrank", "rank", "--sep", "semicolon"], &mut out, &mut err),
            EXIT_FAILURE
        );
        let err = String::from_utf8(err).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("invalid value 'semicolon' for '--sep <SEP>'; [possible values: tab, space, comma]"),
            "{err}"
        );
    }

    #[test]
    fn shorten_cuts_the_middle() {
        assert_eq!(shorten("abcdefghij", 5), "ab…ij");
        assert_eq!(shorten("short", 10), "short");
    }
}
