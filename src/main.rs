//! `cnr`: the command line of the cnr modeling language. It keeps the arguments, the files, the
//! terminal and the exit codes; every step of the pipeline runs in `cnr-driver` (and a sweep's
//! trials in `cnr-sweep`).
#![forbid(unsafe_code)]

mod cli;
mod commands;
use cnr_driver::files as io;
mod memory;
mod output;
mod progress;
mod report;

use clap::Parser;
use cli::{Cli, Command};
use commands::solve::SolveArgs;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    commands::DENY_WARNINGS.store(cli.deny_warnings, std::sync::atomic::Ordering::Relaxed);
    let result = match cli.command {
        Command::Check { files, overrides } => commands::check::run(&files, &overrides),
        Command::Fmt { files, check } => commands::fmt::run(&files, check),
        Command::Data { file, out, overrides } => commands::data::run(&file, &out, &overrides),
        Command::Eval { file, filter: Some(filter), network: None, bias, json, overrides } => {
            commands::eval::run(&file, &filter, bias.as_deref(), json, &overrides)
        }
        Command::Eval { file, network: Some(network), bias, json, overrides, .. } => {
            commands::predict::eval(&file, &network, bias.is_some(), json, &overrides)
        }
        Command::Eval { .. } => unreachable!("clap requires --filter or --network"),
        Command::Predict { file, network, inputs, output, json, overrides } => {
            commands::predict::run(&file, &network, &inputs, output.as_deref(), json, &overrides)
        }
        Command::Compile { file, emit, output, overrides } => {
            commands::compile::run(&file, emit, output.as_deref(), &overrides)
        }
        Command::Solve {
            file,
            backend,
            json,
            verbose,
            tolerance,
            method,
            output,
            progress,
            threads,
            refine,
            overrides,
        } => {
            let args = SolveArgs {
                backend,
                json,
                verbose,
                tolerance,
                method,
                output: &output,
                progress,
                threads,
                refine_gd: refine,
            };
            commands::solve::run(&file, &args, &overrides)
        }
        Command::Sweep(args) => commands::sweep::run(*args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(output::Failed(code)) => ExitCode::from(code),
    }
}
