//! `-g PORT` / `XLATE_GDB` for `xlate run` and `xlate boot`: wait for GDB on 127.0.0.1:PORT,
//! then let the GDB Remote Serial Protocol stub (`runtime::gdb`) run the guest.

use anyhow::{Context, Result};
use runtime::gdb::{wait_for_gdb, Debuggee, GdbControl};
use runtime::linux::{self, Exit, Process, RunStats};
use runtime::machine::system::BootExit;
use translator::jit::JitError;
use translator::CpuState;

/// Waits for GDB to connect on `port` and starts the stub for a machine of type `E`.
pub fn attach<E: Debuggee>(port: u16, env: &E) -> Result<GdbControl<E>>
where
    translator::interp::Interp<E>: translator::emit::Emitter,
{
    let stream = wait_for_gdb(port)?;
    GdbControl::new(stream, env).context("cannot start the gdb stub thread")
}

/// `xlate run -g PORT`: the process runs under the stub from its first instruction.
pub fn run(
    port: u16,
    proc: Process,
    cpu: CpuState,
    engine: linux::Engine,
) -> Result<Result<(Exit, RunStats, Process), JitError>> {
    let mut gdb = attach::<Process>(port, &proc)?;
    Ok(linux::run_controlled(
        proc,
        cpu,
        engine,
        Some(&mut gdb as &mut dyn runtime::trace::Control),
    ))
}

/// Tells GDB how `xlate boot` ended (a poweroff's code is the exit status it shows).
pub fn boot_ended(gdb: Option<Box<GdbControl<runtime::machine::Hart>>>, exit: &BootExit) {
    if let Some(mut g) = gdb {
        g.report_exit(match exit {
            BootExit::Poweroff(c) => Some(Ok((c & 0xff) as u8)),
            BootExit::Quit | BootExit::Reset => Some(Ok(0)),
            BootExit::TrapLoop { .. } => None,
        });
    }
}
