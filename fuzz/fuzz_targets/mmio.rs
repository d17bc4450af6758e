//! Fuzz target: random MMIO traffic to every device of `xlate boot`'s `virt` board (boot ROM,
//! test finisher, CLINT, PLIC, NS16550A UART, virtio-mmio slots with a block device on a small
//! in-memory disk in slot 0) and to RAM through the system bus, with console input arriving in
//! between; an occasional canned driver setup makes queue notifications reach random rings and
//! descriptor chains in RAM. Nothing may panic; what a device answers must fit the access
//! width, and the PLIC may only hand out sources it has.
#![no_main]

use std::sync::{Arc, Mutex};

use libfuzzer_sys::fuzz_target;
use runtime::devices::virtio_blk::VirtioBlk;
use runtime::devices::{self, plic, Board, VirtioMmio};
use runtime::machine::Bus;
use translator::emit::Width;

/// Device windows (and a little around them), so most accesses land somewhere that answers.
const WINDOWS: [(u64, u64); 7] = [
    (devices::MROM_BASE, devices::MROM_SIZE),
    (devices::TEST_BASE, devices::TEST_SIZE),
    (devices::CLINT_BASE, devices::CLINT_SIZE),
    (devices::PLIC_BASE, devices::PLIC_SIZE),
    (devices::UART0_BASE, devices::UART0_SIZE),
    (runtime::machine::RAM_BASE, 0x1_0000),
    (
        devices::VIRTIO_BASE,
        devices::VIRTIO_SIZE * devices::VIRTIO_COUNT as u64,
    ),
];

/// What a driver writes to set up queue 0 of slot 0 (8 entries, rings in the fuzzed RAM), then
/// notifies it.
fn virtio_setup(bus: &mut Bus, sel: u8) {
    let ram = runtime::machine::RAM_BASE;
    let regs: [(u64, u64); 13] = [
        (0x70, 0),
        (0x70, 3),
        (0x24, 1),
        (0x20, 1 | u64::from(sel & 2)),
        (0x70, 0xb),
        (0x30, 0),
        (0x38, 8),
        (0x80, ram + u64::from(sel & 0x30) * 0x100),
        (0x90, ram + 0x4000),
        (0xa0, ram + 0x5000),
        (0x44, 1),
        (0x70, 0xf),
        (0x50, 0),
    ];
    for (off, v) in regs {
        let _ = bus.write(devices::VIRTIO_BASE + off, v, Width::W);
    }
}

const WIDTHS: [Width; 4] = [Width::B, Width::H, Width::W, Width::D];

fuzz_target!(|data: &[u8]| {
    let mut bus = Bus::new(runtime::machine::RAM_BASE, 0x1_0000);
    let mut board = Board::new();
    board.rom = vec![0x13, 0, 0, 0, 0x73, 0, 0x50, 0x10];
    let disk = Arc::new(Mutex::new(vec![0u8; 8 * 512]));
    board.virtio[0] = VirtioMmio::new(Box::new(VirtioBlk::new(disk, false)));
    bus.board = Some(Box::new(board));
    // Each access: 1 byte selector, 4 bytes offset, 8 bytes value.
    for op in data.chunks_exact(13) {
        let sel = op[0];
        let (base, size) = WINDOWS[usize::from(sel & 7) % WINDOWS.len()];
        if op[4] == 0x3c {
            virtio_setup(&mut bus, sel);
        }
        let raw = u32::from_le_bytes([op[1], op[2], op[3], op[4]]);
        // Mostly inside the window, sometimes just past it or anywhere at all.
        let pa = match sel >> 6 {
            0 | 1 => base + u64::from(raw) % size,
            2 => base.wrapping_add(u64::from(raw) % (size + 64)),
            _ => u64::from(raw) << (sel & 7),
        };
        let w = WIDTHS[usize::from(sel >> 3) & 3];
        let val = u64::from_le_bytes(op[5..13].try_into().expect("8 bytes"));
        match (sel >> 5) & 1 {
            0 => {
                if let Some(v) = bus.read(pa, w) {
                    if w.bytes() < 8 {
                        assert!(v >> (w.bytes() * 8) == 0, "read wider than {w:?}: {v:#x}");
                    }
                    // A claim may only name a real, nonzero source (or 0: nothing pending).
                    let claim0 = devices::PLIC_BASE + 0x20_0004;
                    if pa == claim0 || pa == claim0 + 0x1000 {
                        assert!((v as usize) < plic::SOURCES, "claimed source {v}");
                    }
                }
            }
            _ => {
                let _ = bus.write(pa, val, w);
            }
        }
        if op[4] == 0xa5 {
            if let Some(b) = bus.board.as_mut() {
                b.push_input(&op[5..5 + usize::from(op[3] & 7)]);
            }
        }
        if op[4] == 0x5a {
            if let Some(b) = bus.board.as_mut() {
                let _ = b.pop_input();
                let _ = b.external_irqs();
                let out = b.take_output();
                assert!(out.len() <= data.len(), "more output than writes");
            }
        }
    }
});
