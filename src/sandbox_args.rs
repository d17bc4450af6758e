//! The sandbox options of `xlate run`: resource limits (`--max-memory`, `--max-instructions`,
//! `--timeout`; see `runtime::limits`) and how a run stopped by one ends, and the jail
//! (`--root`, `--read-only`, `--no-network`; see `runtime::linux::jail`).

use std::process::ExitCode;
use std::time::Duration;

use std::path::PathBuf;
use std::sync::Arc;

use runtime::limits::{LimitHit, RunLimits, Watchdog};
use runtime::linux::jail::{JailError, Root, Sandbox};
use runtime::linux::Process;

/// Parses a positive number of seconds (fractions allowed), e.g. `10` or `0.5`.
fn parse_secs(s: &str) -> Result<Duration, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a number of seconds"))?;
    if !(v > 0.0 && v.is_finite() && v < 1e9) {
        return Err(format!("'{s}' is not a positive number of seconds"));
    }
    Ok(Duration::from_secs_f64(v))
}

/// Parses a positive instruction count.
fn parse_count(s: &str) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("'{s}' is not a positive instruction count")),
    }
}

#[derive(clap::Args, Debug, Clone)]
pub struct SandboxArgs {
    /// Limit guest memory (all mappings: image, stack, heap, mmap) to SIZE bytes (suffix K, M
    /// or G); brk and mmap beyond it fail with ENOMEM.
    #[arg(long, value_name = "SIZE", value_parser = crate::parse_size, env = "XLATE_MAX_MEMORY")]
    pub max_memory: Option<usize>,

    /// Stop the guest after N instructions (exit status 123).
    #[arg(long, value_name = "N", value_parser = parse_count, env = "XLATE_MAX_INSTRUCTIONS")]
    pub max_instructions: Option<u64>,

    /// Stop the guest after SECS seconds of wall time (exit status 124).
    #[arg(long, value_name = "SECS", value_parser = parse_secs, env = "XLATE_TIMEOUT")]
    pub timeout: Option<Duration>,

    /// Make DIR the guest's `/`: no guest path resolves outside it (.., symlinks, /proc);
    /// the guest starts in it (or in the current directory if that is inside it), and finds
    /// its program interpreter there unless -L says else.
    #[arg(long, value_name = "DIR", env = "XLATE_ROOT")]
    pub root: Option<PathBuf>,

    /// The guest cannot change the file system: writes, creates, removes fail with EROFS.
    #[arg(long, env = "XLATE_READ_ONLY", value_parser = clap::builder::FalseyValueParser::new())]
    pub read_only: bool,

    /// The guest has no network: socket(2) fails with EACCES.
    #[arg(long, env = "XLATE_NO_NETWORK", value_parser = clap::builder::FalseyValueParser::new())]
    pub no_network: bool,
}

impl SandboxArgs {
    /// The jail settings for the process options (opens the root).
    pub fn sandbox(&self) -> Result<Sandbox, JailError> {
        Ok(Sandbox {
            root: match &self.root {
                Some(dir) => Some(Arc::new(Root::new(dir)?)),
                None => None,
            },
            read_only: self.read_only,
            no_network: self.no_network,
        })
    }

    /// After the program is loaded: the guest starts in the current directory if that is
    /// inside its root, else in the root.
    pub fn enter(proc: &Process) -> std::io::Result<()> {
        let Some(root) = &proc.opts.sandbox.root else {
            return Ok(());
        };
        let inside = std::env::current_dir()
            .ok()
            .and_then(|d| std::fs::canonicalize(d).ok())
            .is_some_and(|d| d.starts_with(root.host_path()));
        if inside {
            return Ok(());
        }
        std::env::set_current_dir(root.host_path())
    }

    /// Applies the limits to a process about to be loaded; the returned guard keeps the
    /// timeout watchdog armed until the run ends.
    pub fn apply(&self, proc: &mut Process) -> Option<Watchdog> {
        if let Some(m) = self.max_memory {
            proc.mem.set_limit(m as u64);
        }
        proc.limits = RunLimits::default();
        proc.limits.max_instructions = self.max_instructions;
        self.timeout.map(|t| proc.limits.start_timeout(t))
    }
}

/// One line saying which limit stopped the guest, and its exit status.
pub fn limit_exit(hit: LimitHit) -> ExitCode {
    eprintln!("xlate: {hit}");
    ExitCode::from(hit.exit_status())
}
