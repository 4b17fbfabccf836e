//! The command line: arguments in, library jobs run, results and errors out.
//!
//! Arguments are parsed in two layers: clap fills the raw structs in [`args`], then one
//! function per job turns them into the library's job ([`rank_job`], [`load_options`],
//! [`gexf_export`]); the library's jobs check the values, once, and name a bad one by its
//! parameter, which [`render_error`] turns back into the flag the user typed. This module owns what the library never does: printing, progress bars, the exit
//! code (0, or 2 on any error; 3 when a distributed run loses a peer) and the panic hook of a
//! distributed run.

mod args;
mod progress;

use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use args::{
    BuildArgs, Cli, Command, CompletionsArgs, ExportCommand, ExportGexfArgs, GenerateArgs, GenerateCommand,
    GexfStyleArgs, InputArgs, ManArgs, RankArgs, StatsArgs,
};
use crawlrank::algo::PageRankConfig;
use crawlrank::error::{Error, Result};
use crawlrank::graph::{BuildOptions, LoadOptions};
use crawlrank::input::{self, FileReport, InputFile, ParseOptions, bundled};
use crawlrank::jobs::rank::RankJob;
use crawlrank::jobs::thread_pool;
use crawlrank::output::TopRow;
use crawlrank::output::top::shorten_id;
use crawlrank::output::{GexfExport, GexfOptions, SelectBy};
use progress::{Bars, GenerateBar, human_bytes};

/// Exit code of a failed run.
pub const EXIT_FAILURE: u8 = 2;
/// Exit code of a run that wrote its result but stopped at `--max-iter` before its L1 change
/// fell below `--tol`: the ranks are a probability vector within the reported error bound,
/// written and marked complete, but not as exact as asked; scripts see a non-zero status.
pub const EXIT_UNCONVERGED: u8 = 4;
/// Exit code of a distributed run that lost a peer or a worker.
#[cfg(feature = "distributed")]
const EXIT_LOST: u8 = 3;
/// The environment variable that holds a distributed run's shared secret when
/// `--secret-file` is not given.
#[cfg(feature = "distributed")]
const SECRET_VARIABLE: &str = "CRAWLRANK_SECRET";

/// Whether the command line may colour its messages: per stream, only on a terminal, never
/// when `NO_COLOR` is set to anything but the empty string (<https://no-color.org>).
#[derive(Clone, Copy, Debug, Default)]
pub struct Colour {
    /// Standard output is a terminal that may be coloured.
    pub stdout: bool,
    /// Standard error is a terminal that may be coloured.
    pub stderr: bool,
}

impl Colour {
    /// What this process's streams and environment allow.
    pub fn from_environment() -> Colour {
        let allowed = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        Colour {
            stdout: allowed && io::stdout().is_terminal(),
            stderr: allowed && io::stderr().is_terminal(),
        }
    }
}

/// Runs the command line `args` (program name first), writing results to `stdout` and
/// messages to `stderr`, coloured where `colour` allows. Returns the process exit code: 0, 2
/// on any error, 4 when a ranking stopped at its iteration limit without converging.
pub fn run<I, T>(args: I, stdout: &mut dyn Write, stderr: &mut dyn Write, colour: Colour) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let cli = match parse(&args) {
        Ok(cli) => cli,
        // Help, version and usage errors as clap lays them out (Usage line, tips, possible
        // values, one per line); help goes to stdout (exit 0), the rest to stderr (exit 2).
        Err(e) => {
            let (stream, coloured, code): (&mut dyn Write, bool, u8) = if e.use_stderr() {
                (stderr, colour.stderr, EXIT_FAILURE)
            } else {
                (stdout, colour.stdout, 0)
            };
            let text = e.render();
            let _ = if coloured {
                write!(stream, "{}", text.ansi())
            } else {
                write!(stream, "{text}")
            };
            return code;
        }
    };
    let command: Vec<String> = args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let (outcome, context) = match cli.command {
        Command::Rank(a) => (rank_command(a, command, stdout, stderr), Context::Rank),
        Command::Build(a) => (build_command(a, command, stderr), Context::Other),
        Command::Stats(a) => (stats_command(a, stdout), Context::Other),
        Command::Export(ExportCommand::Gexf(a)) => (export_gexf_command(a, command, stderr), Context::ExportGexf),
        #[cfg(feature = "bvgraph")]
        Command::Export(ExportCommand::Bvgraph(a)) => (export_bvgraph_command(a, stderr), Context::Other),
        #[cfg(feature = "plots")]
        Command::Plot(a) => (plot_command(a, stderr), Context::Other),
        Command::Generate(GenerateCommand::Rmat(a)) => (
            generate_command(crawlrank::generate::Model::GRAPH500, a, stderr),
            Context::Other,
        ),
        Command::Generate(GenerateCommand::Uniform(a)) => (
            generate_command(crawlrank::generate::Model::Uniform, a, stderr),
            Context::Other,
        ),
        Command::Completions(a) => (completions_command(a, stdout), Context::Other),
        Command::Man(a) => (man_command(a, stdout, stderr), Context::Other),
    };
    match outcome {
        Ok(()) => 0,
        Err(Failure::BrokenPipe) => 0,
        Err(Failure::Unconverged) => EXIT_UNCONVERGED,
        Err(Failure::Error(e)) => {
            let _ = writeln!(stderr, "crawlrank: error: {}", render_error(&e, context));
            EXIT_FAILURE
        }
    }
}

/// Which command an error came from, where a library parameter has different flags.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    Rank,
    ExportGexf,
    Other,
}

/// The flag that sets a library parameter.
fn flag(parameter: &str, context: Context) -> String {
    match (parameter, context) {
        ("tolerance", _) => "--tol".to_string(),
        ("max_iterations", _) => "--max-iter".to_string(),
        ("gexf_top", Context::ExportGexf) => "--top".to_string(),
        ("max_nodes", Context::Rank) => "--gexf-top".to_string(),
        (p, _) => format!("--{}", p.replace('_', "-")),
    }
}

/// An error as the command line reports it: a parameter is named by its flag.
fn render_error(e: &Error, context: Context) -> String {
    match e {
        Error::Parameter { parameter, message } => format!("{} {message}", flag(parameter, context)),
        e => e.to_string(),
    }
}

/// Parses the command line: clap's parser over [`Cli`], its errors unrendered.
fn parse(args: &[OsString]) -> std::result::Result<Cli, clap::Error> {
    use clap::{CommandFactory, FromArgMatches};
    let mut command = Cli::command();
    let matches = command.try_get_matches_from_mut(args)?;
    Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut command))
}

/// `crawlrank completions SHELL`: the shell's completion script on stdout.
fn completions_command(a: CompletionsArgs, stdout: &mut dyn Write) -> Result<(), Failure> {
    use clap::CommandFactory;
    let mut buffer = Vec::new();
    clap_complete::generate(a.shell, &mut Cli::command(), "crawlrank", &mut buffer);
    stdout.write_all(&buffer)?;
    Ok(())
}

/// `crawlrank man`: the main page on stdout, or every page written into `--dir`.
fn man_command(a: ManArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<(), Failure> {
    use clap::CommandFactory;
    let command = Cli::command();
    match a.dir {
        None => {
            let mut buffer = Vec::new();
            clap_mangen::Man::new(command)
                .render(&mut buffer)
                .map_err(|e| Error::io("<manual page>", e))?;
            stdout.write_all(&buffer)?;
        }
        Some(dir) => {
            if !dir.is_dir() {
                return Err(Error::Input(format!(
                    "{}: not a folder (--dir takes an existing folder, such as ~/.local/share/man/man1)",
                    dir.display()
                ))
                .into());
            }
            clap_mangen::generate_to(command, &dir).map_err(|e| Error::io(&dir, e))?;
            writeln!(
                stderr,
                "crawlrank: manual pages written to {} (crawlrank.1, crawlrank-rank.1, …)",
                dir.display()
            )?;
        }
    }
    Ok(())
}

/// Why a command stopped.
enum Failure {
    /// The reader of stdout went away (`| head`): not an error.
    BrokenPipe,
    /// The ranking was written, but stopped at its iteration limit (already said).
    Unconverged,
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

/// How to read and build the graph, from the input flags.
fn load_options(a: &InputArgs) -> LoadOptions {
    LoadOptions {
        parse: ParseOptions {
            separator: a.sep,
            weighted: a.weighted,
            skip_bad_lines: a.skip_bad_lines,
            header: match (a.header, a.no_header) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            },
        },
        ids: a.ids,
        build: BuildOptions {
            multi: a.multi,
            shards: a.shards,
            general_path: false,
        },
        names: (!a.names.is_empty()).then(|| crawlrank::input::names::NamesOptions {
            files: a.names.clone(),
            reversed: a.names_reversed,
        }),
        memory: a.memory,
    }
}

/// The default result folder's name: the first input's file name without its extensions.
fn default_output_name(inputs: &[String]) -> String {
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

/// The rank job the flags ask for (the library validates it when it runs it).
fn rank_job(a: &RankArgs, command: Vec<String>) -> Result<RankJob> {
    let inputs = if a.inputs.is_empty() {
        vec![bundled::input()]
    } else {
        input::expand(&a.inputs)?
    };
    let output = a
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(default_output_name(&a.inputs)));
    let job = RankJob {
        inputs,
        load: load_options(&a.input),
        pagerank: PageRankConfig {
            damping: a.damping,
            tolerance: a.tol.unwrap_or(a.precision.default_tolerance()),
            max_iterations: a.max_iter,
            dangling: a.dangling,
            precision: a.precision,
        },
        personalize: a.personalize.clone(),
        output,
        compression: a.compress,
        top: a.top,
        #[cfg(feature = "plots")]
        plots: (a.plots || a.inputs.is_empty()).then_some(a.plot_format),
        #[cfg(not(feature = "plots"))]
        plots: None,
        gexf: a.gexf.clone().map(|path| GexfExport {
            path,
            select: SelectBy::Top(a.gexf_top),
            neighbors: false,
            max_nodes: a.gexf_top,
            options: gexf_options(&a.gexf_style),
        }),
        command,
        force: a.force,
        wait: a.wait,
        cc_ranks: a.cc_ranks,
        init: a.init.clone(),
        checkpoint_every: a.checkpoint_every,
        resume: a.resume,
    };
    Ok(job)
}

fn rank_command(
    a: RankArgs,
    command: Vec<String>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<(), Failure> {
    let job = rank_job(&a, command)?;
    #[cfg(feature = "distributed")]
    if a.cluster.hosts.is_some() && (job.checkpoint_every.is_some() || job.resume) {
        return Err(Failure::Error(crawlrank::Error::Config(
            "--checkpoint-every and --resume work on local runs; a distributed run cannot checkpoint yet".to_string(),
        )));
    }
    #[cfg(feature = "distributed")]
    let outcome = match &a.cluster.hosts {
        Some(hosts) => match distributed_rank(&job, hosts, &a.cluster, a.input.quiet)? {
            Some(outcome) => outcome,
            None => return Ok(()),
        },
        None => local_rank(&job, &a.input)?,
    };
    #[cfg(not(feature = "distributed"))]
    let outcome = local_rank(&job, &a.input)?;
    let s = &outcome.summary;
    let unconverged = !s.converged && job.pagerank.tolerance > 0.0;
    if unconverged {
        writeln!(
            stderr,
            "crawlrank: warning: NOT converged: stopped at --max-iter {} with an L1 change of {:.2e}, above --tol {:.0e}; the result is written (L1 error <= {:.1e}); raise --max-iter (exit status 4)",
            s.iterations_run, s.residual, job.pagerank.tolerance, s.error_bound
        )?;
    }
    if a.input.quiet {
        return if unconverged { Err(Failure::Unconverged) } else { Ok(()) };
    }
    input_notes(stderr, &outcome.summary.inputs)?;
    for note in &outcome.notes {
        writeln!(stderr, "crawlrank: note: {note}")?;
    }
    if let Some(init) = &outcome.summary.init {
        writeln!(
            stderr,
            "crawlrank: note: started from the ranks of {}: {} nodes ranked there, {} new nodes (started at 1/n), {} of its ids no longer in the graph",
            init.from, init.nodes_ranked_there, init.new_nodes, init.ids_not_in_graph
        )?;
    }
    write_top_table(stdout, &outcome.top[..outcome.top.len().min(20)])?;
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
        job.output.display()
    )?;
    if unconverged { Err(Failure::Unconverged) } else { Ok(()) }
}

/// Says which files were skipped as not edge lists, and which headers were skipped.
fn input_notes(stderr: &mut dyn Write, inputs: &[FileReport]) -> io::Result<()> {
    const SHOWN: usize = 5;
    let skipped: Vec<&FileReport> = inputs.iter().filter(|f| f.skipped.is_some()).collect();
    for file in skipped.iter().take(SHOWN) {
        let why = file.skipped.as_deref().unwrap_or_default();
        writeln!(stderr, "crawlrank: note: skipped {}: {why}", file.path)?;
    }
    if skipped.len() > SHOWN {
        writeln!(
            stderr,
            "crawlrank: note: ... and {} more files skipped (see summary.json)",
            skipped.len() - SHOWN
        )?;
    }
    let headers: Vec<&FileReport> = inputs.iter().filter(|f| f.text.header.is_some()).collect();
    for file in headers.iter().take(SHOWN) {
        let header = file.text.header.as_deref().unwrap_or_default();
        writeln!(
            stderr,
            "crawlrank: note: {}: header skipped: {} (--no-header reads it as an edge)",
            file.path,
            crawlrank::error::quote(header.as_bytes())
        )?;
    }
    if headers.len() > SHOWN {
        writeln!(
            stderr,
            "crawlrank: note: ... and {} more files' headers skipped",
            headers.len() - SHOWN
        )?;
    }
    Ok(())
}

fn local_rank(job: &RankJob, input: &InputArgs) -> Result<crawlrank::jobs::rank::RankOutcome> {
    let is_store = job
        .inputs
        .iter()
        .any(|i| i.path().is_some_and(crawlrank::store::is_store));
    if !input.quiet
        && !is_store
        && let Some(estimate) = crawlrank::jobs::build::memory_estimate(&job.inputs)
        && estimate > job.load.memory.unwrap_or_else(crawlrank::memory::default_budget)
    {
        eprintln!(
            "crawlrank: warning: these inputs will take about {} to rank in memory, more than {}; if this run \
             runs out of memory, build a store beyond memory (crawlrank build INPUT… -o STORE --memory SIZE) and \
             rank it (crawlrank rank STORE), whose edges are streamed from disk",
            human_bytes(estimate),
            if job.load.memory.is_some() {
                "--memory"
            } else {
                "three quarters of this machine's memory"
            }
        );
    }
    let bars = Bars::with_notes(!input.quiet && io::stderr().is_terminal(), !input.quiet);
    thread_pool(input.threads)?.install(|| crawlrank::jobs::rank::run(job, &bars))
}

/// Runs `job` as one process of the cluster in `hosts`: the coordinator's outcome, or `None`
/// on another process (after saying what it wrote).
#[cfg(feature = "distributed")]
fn distributed_rank(
    job: &RankJob,
    hosts: &Path,
    a: &args::ClusterArgs,
    quiet: bool,
) -> Result<Option<crawlrank::jobs::rank::RankOutcome>> {
    use crawlrank::distributed::{self, Cluster, NoteSink, ProcessOutcome, Secret};
    if !(a.connect_timeout > 0.0 && a.connect_timeout.is_finite()) {
        return Err(Error::parameter(
            "connect_timeout",
            "must be a positive number of seconds",
        ));
    }
    let workers = a
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let cluster = Cluster::from_hosts_file(hosts, a.process, workers, a.connect_timeout)?
        .with_peer_timeout(a.peer_timeout)?
        .with_notes(NoteSink::new(|note| eprintln!("crawlrank: warning: {note}")));
    // --secret-file wins over the environment: the flag is the more deliberate choice.
    let cluster = match (&a.secret_file, std::env::var_os(SECRET_VARIABLE)) {
        (Some(path), _) => cluster.with_secret(Secret::from_file(path)?),
        (None, Some(value)) => cluster.with_secret(Secret::new(value.as_encoded_bytes(), SECRET_VARIABLE)?),
        (None, None) => cluster,
    };
    // A peer that is lost makes timely's network threads panic, and the other workers would
    // wait for it forever: say which peer, remove what was staged, and stop.
    let peers = cluster.hosts.clone();
    std::panic::set_hook(Box::new(move |info| {
        let message = distributed::explain_panic(info, &peers);
        distributed::remove_staging();
        if distributed::result_committed() {
            eprintln!("crawlrank: warning: {}", distributed::after_commit(&message));
            std::process::exit(0);
        }
        eprintln!("crawlrank: error: {message}");
        std::process::exit(EXIT_LOST.into());
    }));
    // The pool's limit is on its threads, which this command calls workers.
    let pool = thread_pool(Some(workers)).map_err(|e| match e {
        Error::Parameter { message, .. } => Error::parameter("workers", message),
        e => e,
    })?;
    match pool.install(|| distributed::run(job, &cluster, abort))? {
        ProcessOutcome::Coordinator(outcome) => Ok(Some(*outcome)),
        ProcessOutcome::Member { part_files, output } => {
            if !quiet {
                eprintln!(
                    "crawlrank: process {} of {}: wrote {part_files} part files to {}; process 0 writes the summary",
                    cluster.process,
                    cluster.processes(),
                    output.join("ranks").display()
                );
            }
            Ok(None)
        }
    }
}

/// Ends the process when a worker of a distributed run fails: its peers wait for it.
#[cfg(feature = "distributed")]
fn abort(message: &str, code: u8) -> ! {
    let kind = if code == 0 { "warning" } else { "error" };
    eprintln!("crawlrank: {kind}: {message}");
    std::process::exit(code.into())
}

fn generate_command(model: crawlrank::generate::Model, a: GenerateArgs, stderr: &mut dyn Write) -> Result<(), Failure> {
    let options = crawlrank::generate::GenerateOptions {
        model,
        scale: a.scale,
        edge_factor: a.edge_factor,
        seed: a.seed,
        urls: a.urls,
    };
    let started = std::time::Instant::now();
    let total = a.edge_factor.saturating_mul(1u64.checked_shl(a.scale).unwrap_or(0));
    let bar = (!a.quiet && io::stderr().is_terminal()).then(|| GenerateBar::new(total));
    let out = thread_pool(a.threads)?.install(|| {
        crawlrank::generate::generate(&options, &a.output, &mut |done, total| {
            if let Some(bar) = &bar {
                bar.update(done, total);
            }
        })
    })?;
    if let Some(bar) = bar {
        bar.finish();
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

#[cfg(feature = "plots")]
fn plot_command(a: args::PlotArgs, stderr: &mut dyn Write) -> Result<(), Failure> {
    let redrawn = crawlrank::jobs::plot::run(&a.result, a.plot_format)?;
    if !a.quiet {
        writeln!(
            stderr,
            "crawlrank: {} charts in {}, report in {}",
            redrawn.charts.len(),
            a.result.join("plots").display(),
            redrawn.report.display()
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

/// The GEXF export the `export gexf` flags ask for.
fn gexf_export(a: &ExportGexfArgs, command: &[String]) -> GexfExport {
    let select = match (a.top, a.min_rank, &a.nodes) {
        (_, Some(x), _) => SelectBy::MinRank(x),
        (_, _, Some(file)) => SelectBy::Nodes(file.clone()),
        (top, _, _) => SelectBy::Top(top.unwrap_or(1000)),
    };
    let mut options = gexf_options(&a.style);
    options.description = format!(
        "Exported from the crawlrank result {}; command: {}",
        a.result.display(),
        command.join(" ")
    );
    GexfExport {
        path: a.output.clone().unwrap_or_else(|| a.result.join("top.gexf")),
        select,
        neighbors: a.neighbors,
        max_nodes: a.max_nodes,
        options,
    }
}

fn export_gexf_command(a: ExportGexfArgs, command: Vec<String>, stderr: &mut dyn Write) -> Result<(), Failure> {
    let job = crawlrank::jobs::export::ExportGexfJob {
        result: a.result.clone(),
        inputs: a.inputs.clone(),
        export: gexf_export(&a, &command),
    };
    let bars = Bars::new(!a.quiet && io::stderr().is_terminal());
    let report = thread_pool(a.threads)?.install(|| crawlrank::jobs::export::export_gexf(&job, &bars))?;
    if !a.quiet {
        writeln!(
            stderr,
            "crawlrank: wrote {} nodes and {} edges to {}; peak memory {}",
            report.nodes,
            report.edges,
            report.path,
            crawlrank::memory::peak_rss_bytes().map_or("unknown".to_string(), human_bytes)
        )?;
    }
    Ok(())
}

#[cfg(feature = "bvgraph")]
fn export_bvgraph_command(a: args::ExportBvgraphArgs, stderr: &mut dyn Write) -> Result<(), Failure> {
    use crawlrank::jobs::export::{ExportBvgraphJob, GraphSource, is_result_folder};
    let first = Path::new(&a.sources[0]);
    let source = if is_result_folder(first) {
        let i = &a.input;
        let read_options = [
            (i.sep.is_some(), "--sep"),
            (i.ids != crawlrank::graph::IdMode::Auto, "--ids"),
            (i.header, "--header"),
            (i.no_header, "--no-header"),
            (i.weighted, "--weighted"),
            (i.multi, "--multi"),
            (i.skip_bad_lines, "--skip-bad-lines"),
            (i.shards.is_some(), "--shards"),
        ];
        let given: Vec<&str> = read_options.iter().filter(|(set, _)| *set).map(|(_, f)| *f).collect();
        if !given.is_empty() {
            return Err(Error::Config(format!(
                "{} is a result folder, whose graph is read again with the options recorded in its summary.json; {} applies to inputs only",
                first.display(),
                given.join(", ")
            ))
            .into());
        }
        GraphSource::Result {
            dir: first.to_path_buf(),
            inputs: a.sources[1..].to_vec(),
        }
    } else {
        GraphSource::Inputs {
            inputs: input::expand(&a.sources)?,
            load: load_options(&a.input),
        }
    };
    let job = ExportBvgraphJob {
        source,
        export: crawlrank::output::BvgraphExport {
            base: a.output.clone(),
            force: a.force,
        },
        collapse: a.collapse,
    };
    let bars = Bars::new(!a.input.quiet && io::stderr().is_terminal());
    let outcome = thread_pool(a.input.threads)?.install(|| crawlrank::jobs::export::export_bvgraph(&job, &bars))?;
    if a.input.quiet {
        return Ok(());
    }
    input_notes(stderr, &outcome.inputs)?;
    for note in &outcome.notes {
        writeln!(stderr, "crawlrank: note: {note}")?;
    }
    let report = &outcome.report;
    let mut files: Vec<String> = ["properties", "offsets", "ef", "ids"]
        .iter()
        .map(|ext| format!("{}.{ext}", report.base.display()))
        .filter(|name| report.files.iter().any(|f| f.as_os_str() == name.as_str()))
        .collect();
    if report.names
        && let Some(ids) = files.last_mut()
    {
        ids.push_str(" (node names)");
    }
    let last = files.pop().unwrap_or_default();
    writeln!(
        stderr,
        "crawlrank: wrote {}.graph ({} nodes, {} arcs, {:.3} bits/arc), {} and {last}; peak memory {}",
        report.base.display(),
        report.nodes,
        report.arcs,
        report.bits_per_arc(),
        files.join(", "),
        crawlrank::memory::peak_rss_bytes().map_or("unknown".to_string(), human_bytes)
    )?;
    Ok(())
}

/// Prints the top rows as an aligned table; ids longer than 60 characters are shortened in
/// the middle (a URL keeps its host).
fn write_top_table(out: &mut dyn Write, rows: &[TopRow]) -> io::Result<()> {
    let ids: Vec<String> = rows.iter().map(|r| shorten_id(&r.label(), 60)).collect();
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

fn build_command(a: BuildArgs, command: Vec<String>, stderr: &mut dyn Write) -> Result<(), Failure> {
    let inputs: Vec<InputFile> = input::expand(&a.inputs)?;
    let job = crawlrank::jobs::build::BuildJob {
        inputs,
        load: load_options(&a.input),
        output: a.output.clone(),
        command,
        tmp: a.tmp.clone(),
    };
    let bars = Bars::new(!a.input.quiet && io::stderr().is_terminal());
    let outcome = thread_pool(a.input.threads)?.install(|| crawlrank::jobs::build::run(&job, &bars))?;
    if a.input.quiet {
        return Ok(());
    }
    let m = &outcome.report.manifest;
    input_notes(stderr, &m.inputs)?;
    let (read, partition, write) = outcome.seconds;
    writeln!(
        stderr,
        "crawlrank: {} nodes, {} edges in {} shards{}; store {} ({:.2} bytes an edge for the cells); read {:.2} s, \
         partition {:.2} s, write {:.2} s, peak memory {}; rank it with: crawlrank rank {}",
        m.graph.nodes,
        m.graph.edges,
        m.shards(),
        if outcome.external {
            " (built beyond memory: sorted runs on disk)"
        } else {
            ""
        },
        human_bytes(m.bytes()),
        outcome.report.cell_bytes as f64 / m.graph.edges.max(1) as f64,
        read,
        partition,
        write,
        crawlrank::memory::peak_rss_bytes().map_or("unknown".to_string(), human_bytes),
        a.output.display()
    )?;
    Ok(())
}

fn stats_command(a: StatsArgs, stdout: &mut dyn Write) -> Result<(), Failure> {
    let inputs: Vec<InputFile> = input::expand(&a.inputs)?;
    let options = load_options(&a.input);
    let bars = Bars::new(!a.input.quiet && io::stderr().is_terminal());
    let report = thread_pool(a.input.threads)?.install(|| crawlrank::jobs::stats::run(&inputs, &options, &bars))?;
    if !a.input.quiet {
        input_notes(&mut io::stderr(), &report.inputs)?;
    }
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
            writeln!(stdout, "  {degree:>10}  {}", shorten_id(id, 80))?;
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
    fn usage_errors_keep_clap_layout_and_colour_only_where_allowed() {
        let run_with = |colour: Colour| {
            let (mut out, mut err) = (Vec::new(), Vec::new());
            let code = run(["crawlrank", "rank", "--sep", "pipe"], &mut out, &mut err, colour);
            assert_eq!(code, EXIT_FAILURE);
            assert!(out.is_empty());
            String::from_utf8(err).unwrap()
        };
        let plain = run_with(Colour::default());
        let lines: Vec<&str> = plain.lines().collect();
        assert_eq!(lines[0], "error: invalid value 'pipe' for '--sep <SEP>'", "{plain}");
        assert!(
            lines.contains(&"  [possible values: tab, comma, semicolon, space]"),
            "{plain}"
        );
        assert!(lines.contains(&"For more information, try '--help'."), "{plain}");
        assert!(!plain.contains('\x1b'), "{plain}");
        let coloured = run_with(Colour {
            stdout: false,
            stderr: true,
        });
        assert!(coloured.contains("\x1b["), "{coloured}");
        // The same words once the escapes are taken out.
        let stripped: String = {
            let mut text = String::new();
            let mut rest = coloured.as_str();
            while let Some(start) = rest.find('\x1b') {
                text.push_str(&rest[..start]);
                let end = rest[start..].find('m').expect("an escape ends in m");
                rest = &rest[start + end + 1..];
            }
            text + rest
        };
        assert_eq!(stripped, plain);
        // Help goes to stdout, coloured only by the stdout flag.
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let colour = Colour {
            stdout: false,
            stderr: true,
        };
        assert_eq!(run(["crawlrank", "stats", "--help"], &mut out, &mut err, colour), 0);
        let help = String::from_utf8(out).unwrap();
        assert!(
            help.contains("Usage: crawlrank stats") && !help.contains('\x1b'),
            "{help}"
        );
    }

    #[test]
    fn parameter_errors_name_the_flag_the_user_typed() {
        let e = Error::parameter("tolerance", "must be a finite number >= 0, not -1");
        assert_eq!(
            render_error(&e, Context::Rank),
            "--tol must be a finite number >= 0, not -1"
        );
        let e = Error::parameter("gexf_top", "must be at least 1");
        assert_eq!(render_error(&e, Context::Rank), "--gexf-top must be at least 1");
        assert_eq!(render_error(&e, Context::ExportGexf), "--top must be at least 1");
        let e = Error::parameter("edge_factor", "must be at least 1");
        assert_eq!(render_error(&e, Context::Other), "--edge-factor must be at least 1");
    }
}
