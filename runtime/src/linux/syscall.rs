//! placeholder: being written.
use super::Process;
use translator::{CpuState, Exception};

#[derive(Default)]
pub struct SysState {}

pub fn dispatch(p: &mut Process, cpu: &mut CpuState) {
    let nr = cpu.x[17];
    match nr {
        64 => {
            let (fd, buf, len) = (cpu.x[10], cpu.x[11], cpu.x[12]);
            let r = match p.mem.slice(buf, len) {
                // SAFETY: placeholder
                Ok(s) => unsafe { libc::write(fd as i32, s.as_ptr().cast(), s.len()) as i64 },
                Err(_) => -14,
            };
            cpu.x[10] = r as u64;
        }
        93 | 94 => p.exit = Some(super::Exit::Code((cpu.x[10] & 0xff) as i32)),
        _ => cpu.x[10] = (-38i64) as u64,
    }
}

pub fn log_fault(_p: &mut Process, _cpu: &CpuState, _e: &Exception, _signo: i32) {}
