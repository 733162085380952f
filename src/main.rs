//! The `evidencer` binary: parses the command line, sets up logging, runs the command and
//! turns its result into an exit code (0 done, 1 `--fail-on` met, 2 error).

use std::process::ExitCode;

use clap::Parser;
use evidencer::cli::{Cli, Command, LogFormat};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli);
    match run(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<u8> {
    Ok(match &cli.command {
        Command::Report(args) => evidencer::app::report(args)?.exit_code,
        Command::Checks(args) => {
            evidencer::app::list_checks(args)?;
            0
        }
        Command::Explain { check } => {
            evidencer::app::explain(check)?;
            0
        }
        Command::Controls(args) => {
            evidencer::app::list_controls(args)?;
            0
        }
        Command::Schema => {
            evidencer::app::schema()?;
            0
        }
    })
}

fn init_logging(cli: &Cli) {
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, _) => "debug",
    };
    let filter = EnvFilter::try_from_env("EVIDENCER_LOG").unwrap_or_else(|_| EnvFilter::new(level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    match cli.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.without_time().init(),
    }
}
