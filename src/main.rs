//! The `evidencer` binary: parses the command line, sets up logging, runs the command and
//! turns its result into an exit code (0 done, 1 `--fail-on` met or, for `verify`, a bundle
//! that is not intact, 2 error).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use evidencer::app::cli::{Cli, Command, LogFormat};
use evidencer::base::text;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::field::MakeExt;
use tracing_subscriber::fmt::format;

/// Reading a big snapshot makes and frees millions of small maps and strings; mimalloc does
/// that in about half the time glibc's allocator takes, and holds less memory doing it.
/// The `system-allocator` feature leaves it out, for heap profilers such as heaptrack.
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Stack of each worker thread. Parsing recurses once per nesting level of a document (the
/// YAML depth budget stops at 256); a debug build needs about 17 KiB per level there, more
/// than the 2 MiB threads get by default. Only the pages used are ever committed.
const WORKER_STACK: usize = 16 << 20;

/// `mi_option_purge_delay` in mimalloc.h's option enum (v2 and v3 alike): how many
/// milliseconds freed memory is kept before it is returned to the system.
#[cfg(not(feature = "system-allocator"))]
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// mimalloc v3 keeps freed memory for a second before returning it. A whole report run
/// takes a few seconds: the memory freed after loading would still be held while the
/// outputs are built. 10 ms (mimalloc v2's default) returns it in time: about 80 MB less at
/// the peak of the cluster bench and no measurable time cost; 0 saves a little more but
/// costs about a tenth more time. `MIMALLOC_PURGE_DELAY` in the environment still wins.
fn tune_allocator() {
    #[cfg(not(feature = "system-allocator"))]
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: mimalloc's options may be set at any time; it ignores an option it does
        // not know.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 10) }
    }
}

fn main() -> ExitCode {
    tune_allocator();
    let cli = Cli::parse();
    init_logging(&cli);
    if let Err(e) = rayon::ThreadPoolBuilder::new()
        .stack_size(WORKER_STACK)
        .build_global()
    {
        tracing::debug!("default thread pool kept: {e}");
    }
    match run(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // A scheduled run's log is read by machines: in JSON, the error is one event too.
            match cli.log_format {
                LogFormat::Json => tracing::error!(error = format!("{e:#}"), "run failed"),
                // Errors name inputs (paths, templates, entries of an archive): shown with
                // their control characters as codes, like every log line.
                LogFormat::Text => eprintln!("error: {}", text::escape_line(&format!("{e:#}"))),
            }
            ExitCode::from(2)
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<u8> {
    Ok(match &cli.command {
        Command::Report(args) => evidencer::app::run::report(args)?.exit_code,
        Command::Collect(args) => {
            evidencer::app::run::collect_cluster(args)?;
            0
        }
        Command::Checks(args) => {
            evidencer::app::run::list_checks(args)?;
            0
        }
        Command::Explain { check } => {
            evidencer::app::run::explain(check)?;
            0
        }
        Command::Controls(args) => {
            evidencer::app::run::list_controls(args)?;
            0
        }
        Command::Rules => {
            evidencer::app::run::rules()?;
            0
        }
        Command::Schema => {
            evidencer::app::run::schema()?;
            0
        }
        Command::Verify(args) => evidencer::app::run::verify(args)?,
        Command::Fleet(args) => {
            evidencer::app::fleet::run(args)?;
            0
        }
        Command::Diff(args) => {
            evidencer::app::run::diff(args)?;
            0
        }
    })
}

/// Logs go to stderr: warnings by default, plus the run's summary line (its own target), so
/// a scheduled run's log always says what it filed. `EVIDENCER_LOG` (EnvFilter syntax)
/// replaces the levels; `--log-format json` writes one JSON object per line with the
/// event's fields at the top level. Fields and messages carry names from the input: in
/// text, their control characters (line breaks included) are shown as codes, so a name
/// can neither drive the terminal nor forge a log line; in JSON, what serde leaves raw is
/// written as `\u` escapes.
fn init_logging(cli: &Cli) {
    let summary = evidencer::app::run::SUMMARY_TARGET;
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => "error".to_string(),
        (false, 0) => format!("warn,{summary}=info"),
        (false, 1) => "info".to_string(),
        (false, _) => "debug".to_string(),
    };
    let filter = EnvFilter::try_from_env("EVIDENCER_LOG").unwrap_or_else(|_| EnvFilter::new(level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only for a person at a terminal, not in a CronJob's or CI's log.
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false);
    match cli.log_format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .with_writer(|| JsonSafe(std::io::stderr()))
            .init(),
        LogFormat::Text => builder
            .without_time()
            .fmt_fields(
                format::debug_fn(|w, field, value| {
                    let shown = format!("{value:?}");
                    let shown = text::escape_line(&shown);
                    match field.name() {
                        "message" => write!(w, "{shown}"),
                        name => write!(w, "{name}={shown}"),
                    }
                })
                .delimited(" "),
            )
            .init(),
    }
}

/// Writes JSON log lines with [`text::escape_json_invisibles`].
struct JsonSafe<W>(W);

impl<W: Write> Write for JsonSafe<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write_all(&text::escape_json_invisibles(buf))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}
