//! Tests of the virtio-mmio transport and the virtio block device: a driver written here sets
//! the device up through MMIO as Linux and U-Boot do (Virtio 1.2 section 3.1 and 4.2.3), puts
//! descriptor chains in a RAM buffer and checks the disk, the data, the status byte, the used
//! ring and the interrupt through the PLIC; malformed rings and chains must not panic.

use std::sync::{Arc, Mutex};

use super::virtio::*;
use super::virtio_blk::*;
use super::*;

const RAM: u64 = 0x8000_0000;
const RAM_SIZE: usize = 1 << 20;
const DESC: u64 = RAM + 0x1000;
const AVAIL: u64 = RAM + 0x2000;
const USED: u64 = RAM + 0x3000;
const HDR: u64 = RAM + 0x4000;
const STATUS: u64 = RAM + 0x4100;
const TABLE: u64 = RAM + 0x5000;
const DATA: u64 = RAM + 0x10000;
const NUM: u16 = 16;
const DISK_SECTORS: usize = 64;

const R_QUEUE_NOTIFY: u64 = 0x50;
const R_INTERRUPT_STATUS: u64 = 0x60;
const R_INTERRUPT_ACK: u64 = 0x64;
const R_STATUS: u64 = 0x70;

struct Rig {
    board: Board,
    ram: Vec<u8>,
    disk: Arc<Mutex<Vec<u8>>>,
    avail_idx: u16,
}

fn pattern(i: usize) -> u8 {
    (i * 7 + i / 512) as u8
}

impl Rig {
    fn new(readonly: bool) -> Rig {
        let disk: Vec<u8> = (0..DISK_SECTORS * 512).map(pattern).collect();
        let disk = Arc::new(Mutex::new(disk));
        let mut board = Board::new();
        board.virtio[0] = VirtioMmio::new(Box::new(VirtioBlk::new(disk.clone(), readonly)));
        // PLIC: the block device's source enabled for the S-mode context, priority 1.
        board.write(PLIC_BASE + 4 * VIRTIO_IRQ as u64, 1, 4);
        board.write(PLIC_BASE + 0x2080, 1 << VIRTIO_IRQ, 4);
        Rig {
            board,
            ram: vec![0; RAM_SIZE],
            disk,
            avail_idx: 0,
        }
    }

    fn w(&mut self, off: u64, val: u64) -> Option<()> {
        self.ww(off, val, 4)
    }

    fn ww(&mut self, off: u64, val: u64, size: u64) -> Option<()> {
        let mut dma = RamDma::new(&mut self.ram, RAM);
        self.board.write_dma(VIRTIO_BASE + off, val, size, &mut dma)
    }

    fn r(&mut self, off: u64) -> u64 {
        self.board
            .read(VIRTIO_BASE + off, 4)
            .expect("32-bit register")
    }

    fn features(&mut self) -> u64 {
        self.w(0x14, 0);
        let lo = self.r(0x10);
        self.w(0x14, 1);
        lo | self.r(0x10) << 32
    }

    /// Reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK; returns the status read back.
    fn negotiate(&mut self, features: u64) -> u64 {
        self.w(R_STATUS, 0);
        self.w(R_STATUS, u64::from(S_ACKNOWLEDGE));
        self.w(R_STATUS, u64::from(S_ACKNOWLEDGE | S_DRIVER));
        self.w(0x24, 0);
        self.w(0x20, features & 0xffff_ffff);
        self.w(0x24, 1);
        self.w(0x20, features >> 32);
        self.w(
            R_STATUS,
            u64::from(S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK),
        );
        self.r(R_STATUS)
    }

    /// The whole setup of queue 0 with `NUM` entries.
    fn setup(&mut self) {
        let offered = self.features();
        let st = self.negotiate(offered & (F_VERSION_1 | F_INDIRECT_DESC | F_FLUSH | F_RO));
        assert_eq!(st & u64::from(S_FEATURES_OK), u64::from(S_FEATURES_OK));
        self.w(0x30, 0);
        assert_eq!(self.r(0x34), u64::from(QUEUE_MAX));
        assert_eq!(self.r(0x44), 0, "queue not ready yet");
        self.w(0x38, u64::from(NUM));
        for (lo, addr) in [(0x80, DESC), (0x90, AVAIL), (0xa0, USED)] {
            self.w(lo, addr & 0xffff_ffff);
            self.w(lo + 4, addr >> 32);
        }
        self.w(0x44, 1);
        assert_eq!(self.r(0x44), 1);
        self.w(
            R_STATUS,
            u64::from(S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK),
        );
    }

    fn put(&mut self, pa: u64, bytes: &[u8]) {
        let o = (pa - RAM) as usize;
        self.ram[o..o + bytes.len()].copy_from_slice(bytes);
    }

    fn get(&self, pa: u64, len: usize) -> &[u8] {
        let o = (pa - RAM) as usize;
        &self.ram[o..o + len]
    }

    fn u16_at(&self, pa: u64) -> u16 {
        u16::from_le_bytes(self.get(pa, 2).try_into().expect("2 bytes"))
    }

    fn u32_at(&self, pa: u64) -> u32 {
        u32::from_le_bytes(self.get(pa, 4).try_into().expect("4 bytes"))
    }

    fn desc_in(&mut self, table: u64, i: u16, addr: u64, len: u32, flags: u16, next: u16) {
        let mut d = Vec::new();
        d.extend_from_slice(&addr.to_le_bytes());
        d.extend_from_slice(&len.to_le_bytes());
        d.extend_from_slice(&flags.to_le_bytes());
        d.extend_from_slice(&next.to_le_bytes());
        self.put(table + 16 * u64::from(i), &d);
    }

    fn desc(&mut self, i: u16, addr: u64, len: u32, flags: u16, next: u16) {
        self.desc_in(DESC, i, addr, len, flags, next);
    }

    fn header(&mut self, typ: u32, sector: u64) {
        let mut h = typ.to_le_bytes().to_vec();
        h.extend_from_slice(&[0; 4]);
        h.extend_from_slice(&sector.to_le_bytes());
        self.put(HDR, &h);
        self.put(STATUS, &[0xff]);
    }

    /// Makes `head` available and notifies queue 0.
    fn submit(&mut self, head: u16) {
        let slot = AVAIL + 4 + 2 * u64::from(self.avail_idx % NUM);
        self.put(slot, &head.to_le_bytes());
        self.avail_idx = self.avail_idx.wrapping_add(1);
        let idx = self.avail_idx;
        self.put(AVAIL + 2, &idx.to_le_bytes());
        self.w(R_QUEUE_NOTIFY, 0).expect("notify");
    }

    /// (used idx, id and len of used entry `n`).
    fn used(&self, n: u16) -> (u16, u32, u32) {
        let e = USED + 4 + 8 * u64::from(n % NUM);
        (self.u16_at(USED + 2), self.u32_at(e), self.u32_at(e + 4))
    }

    /// A three-descriptor request: header, data, status.
    fn request(&mut self, typ: u32, sector: u64, data_len: u32, device_writes_data: bool) {
        self.header(typ, sector);
        let wf = if device_writes_data { DESC_F_WRITE } else { 0 };
        self.desc(0, HDR, 16, DESC_F_NEXT, 1);
        self.desc(1, DATA, data_len, DESC_F_NEXT | wf, 2);
        self.desc(2, STATUS, 1, DESC_F_WRITE, 0);
        self.submit(0);
    }

    fn status_byte(&self) -> u8 {
        self.get(STATUS, 1)[0]
    }

    fn needs_reset(&mut self) -> bool {
        self.r(R_STATUS) & u64::from(S_NEEDS_RESET) != 0
    }
}

#[test]
fn identification_features_and_config_space() {
    let mut rig = Rig::new(false);
    assert_eq!(rig.r(0x0), 0x7472_6976, "magic 'virt'");
    assert_eq!(rig.r(0x4), 2, "modern transport");
    assert_eq!(rig.r(0x8), 2, "block device");
    assert_eq!(rig.r(0xc), u64::from(VENDOR_ID));
    let f = rig.features();
    assert_eq!(
        f,
        F_VERSION_1 | F_INDIRECT_DESC | F_FLUSH | F_SEG_MAX | F_BLK_SIZE,
        "{f:#x}"
    );
    // Capacity: one 64-bit read, or two 32-bit halves as Linux does.
    let cap = DISK_SECTORS as u64;
    assert_eq!(rig.board.read(VIRTIO_BASE + 0x100, 8), Some(cap));
    assert_eq!(rig.board.read(VIRTIO_BASE + 0x100, 4), Some(cap));
    assert_eq!(rig.board.read(VIRTIO_BASE + 0x104, 4), Some(0));
    assert_eq!(
        rig.board.read(VIRTIO_BASE + 0x10c, 4),
        Some(u64::from(QUEUE_MAX) - 2),
        "seg_max"
    );
    assert_eq!(
        rig.board.read(VIRTIO_BASE + 0x114, 4),
        Some(512),
        "blk_size"
    );
    assert_eq!(
        rig.board.read(VIRTIO_BASE + 0x100, 1),
        Some(cap),
        "byte read"
    );
    // Control registers are 32-bit only.
    assert_eq!(rig.board.read(VIRTIO_BASE, 2), None);
    assert_eq!(rig.board.read(VIRTIO_BASE, 8), None);
    assert_eq!(rig.ww(R_STATUS, 1, 1), None);
    // Empty slots, as QEMU's: magic and version, device ID 0.
    let slot7 = VIRTIO_BASE + 7 * VIRTIO_SIZE;
    assert_eq!(rig.board.read(slot7, 4), Some(0x7472_6976));
    assert_eq!(rig.board.read(slot7 + 8, 4), Some(0));
    assert_eq!(rig.board.read(slot7 + 0x34, 4), Some(0), "no queues");
    assert_eq!(rig.board.read(slot7 + VIRTIO_SIZE, 4), None, "past slot 7");
}

#[test]
fn features_ok_needs_version_1_and_only_offered_bits() {
    let mut rig = Rig::new(false);
    let ok = u64::from(S_FEATURES_OK);
    assert_eq!(rig.negotiate(F_FLUSH) & ok, 0, "legacy interface refused");
    assert_eq!(
        rig.negotiate(F_VERSION_1 | F_RO) & ok,
        0,
        "RO was not offered on a writable drive"
    );
    assert_eq!(rig.negotiate(F_VERSION_1 | F_FLUSH) & ok, ok);
    // Writing 0 resets the device.
    rig.w(R_STATUS, 0);
    assert_eq!(rig.r(R_STATUS), 0);
}

#[test]
fn read_request_fills_memory_and_interrupts_through_the_plic() {
    let mut rig = Rig::new(false);
    rig.setup();
    assert_eq!(rig.board.external_irqs(), (false, false));
    rig.request(T_IN, 1, 1024, true);
    let want: Vec<u8> = (512..1536).map(pattern).collect();
    assert_eq!(rig.get(DATA, 1024), &want[..], "sectors 1 and 2");
    assert_eq!(rig.status_byte(), S_OK);
    assert_eq!(
        rig.used(0),
        (1, 0, 1025),
        "used: head 0, 1024 data bytes + status"
    );
    assert_eq!(rig.r(R_INTERRUPT_STATUS), u64::from(INT_USED));
    assert_eq!(rig.board.external_irqs(), (false, true), "S-mode external");
    assert_eq!(
        rig.board.read(PLIC_BASE + 0x20_1004, 4),
        Some(VIRTIO_IRQ as u64),
        "claim names the virtio source"
    );
    rig.w(R_INTERRUPT_ACK, u64::from(INT_USED));
    assert_eq!(rig.r(R_INTERRUPT_STATUS), 0);
    rig.board.write(PLIC_BASE + 0x20_1004, VIRTIO_IRQ as u64, 4);
    assert_eq!(rig.board.external_irqs(), (false, false));
    assert!(!rig.needs_reset());
}

#[test]
fn write_request_reaches_the_disk() {
    let mut rig = Rig::new(false);
    rig.setup();
    let data: Vec<u8> = (0..512).map(|i| (i as u8) ^ 0x5a).collect();
    rig.put(DATA, &data);
    rig.request(T_OUT, 5, 512, false);
    assert_eq!(rig.status_byte(), S_OK);
    assert_eq!(rig.used(0), (1, 0, 1), "only the status byte written");
    let disk = rig.disk.lock().expect("disk lock");
    assert_eq!(&disk[5 * 512..6 * 512], &data[..]);
    assert_eq!(disk[6 * 512], pattern(6 * 512), "next sector untouched");
}

#[test]
fn indirect_descriptors_split_buffers_and_several_requests() {
    let mut rig = Rig::new(false);
    rig.setup();
    // An indirect table: header, data in two pieces (300 + 212 bytes), status.
    rig.header(T_IN, 3);
    rig.desc_in(TABLE, 0, HDR, 16, DESC_F_NEXT, 1);
    rig.desc_in(TABLE, 1, DATA, 300, DESC_F_NEXT | DESC_F_WRITE, 2);
    rig.desc_in(TABLE, 2, DATA + 0x1000, 212, DESC_F_NEXT | DESC_F_WRITE, 3);
    rig.desc_in(TABLE, 3, STATUS, 1, DESC_F_WRITE, 0);
    rig.desc(5, TABLE, 4 * 16, DESC_F_INDIRECT, 0);
    rig.submit(5);
    let want: Vec<u8> = (3 * 512..4 * 512).map(pattern).collect();
    assert_eq!(rig.get(DATA, 300), &want[..300]);
    assert_eq!(rig.get(DATA + 0x1000, 212), &want[300..]);
    assert_eq!(rig.status_byte(), S_OK);
    assert_eq!(rig.used(0), (1, 5, 513));
    // Header and status in one descriptor pair with the data (any layout, VERSION_1), two
    // requests made available before one notification.
    rig.header(T_IN, 0);
    rig.desc(0, HDR, 16, DESC_F_NEXT, 1);
    rig.desc(1, DATA, 512, DESC_F_NEXT | DESC_F_WRITE, 2);
    rig.desc(2, STATUS, 1, DESC_F_WRITE, 0);
    rig.desc(8, HDR, 16, DESC_F_NEXT, 9);
    rig.desc(9, STATUS, 1, DESC_F_WRITE, 0);
    let slot = |n: u16| AVAIL + 4 + 2 * u64::from(n % NUM);
    rig.put(slot(1), &0u16.to_le_bytes());
    rig.put(slot(2), &8u16.to_le_bytes());
    rig.avail_idx = 3;
    rig.put(AVAIL + 2, &3u16.to_le_bytes());
    rig.w(R_QUEUE_NOTIFY, 0);
    assert_eq!(rig.used(1), (3, 0, 513));
    assert_eq!(rig.used(2), (3, 8, 1), "a read of no data");
}

#[test]
fn flush_get_id_and_unsupported() {
    let mut rig = Rig::new(false);
    rig.setup();
    rig.header(T_FLUSH, 0);
    rig.desc(0, HDR, 16, DESC_F_NEXT, 1);
    rig.desc(1, STATUS, 1, DESC_F_WRITE, 0);
    rig.submit(0);
    assert_eq!(rig.status_byte(), S_OK);
    rig.request(T_GET_ID, 0, 20, true);
    assert_eq!(rig.status_byte(), S_OK);
    assert_eq!(&rig.get(DATA, 20)[..ID.len()], ID);
    assert_eq!(rig.used(1), (2, 0, 21));
    rig.request(11, 0, 512, true); // VIRTIO_BLK_T_DISCARD: not offered
    assert_eq!(rig.status_byte(), S_UNSUPP);
}

#[test]
fn read_only_drive_offers_ro_and_refuses_writes() {
    let mut rig = Rig::new(true);
    assert_ne!(rig.features() & F_RO, 0);
    rig.setup();
    rig.put(DATA, &[0xee; 512]);
    rig.request(T_OUT, 0, 512, false);
    assert_eq!(rig.status_byte(), S_IOERR);
    assert_eq!(rig.used(0), (1, 0, 1));
    assert_eq!(
        rig.disk.lock().expect("disk lock")[0],
        pattern(0),
        "disk unchanged"
    );
    rig.request(T_IN, 0, 512, true);
    assert_eq!(rig.status_byte(), S_OK, "reads still work");
    assert_eq!(
        rig.get(DATA, 4),
        &[pattern(0), pattern(1), pattern(2), pattern(3)]
    );
}

#[test]
fn out_of_range_and_partial_sectors_are_io_errors() {
    let mut rig = Rig::new(false);
    rig.setup();
    rig.request(T_IN, DISK_SECTORS as u64 - 1, 1024, true);
    assert_eq!(rig.status_byte(), S_IOERR, "past the end");
    rig.request(T_IN, u64::MAX / 256, 512, true);
    assert_eq!(rig.status_byte(), S_IOERR, "sector * 512 overflows");
    rig.request(T_OUT, 0, 100, false);
    assert_eq!(rig.status_byte(), S_IOERR, "not whole sectors");
    // Data buffers outside RAM: an I/O error, the device stays usable.
    rig.header(T_IN, 0);
    rig.desc(0, HDR, 16, DESC_F_NEXT, 1);
    rig.desc(1, 0x1000, 512, DESC_F_NEXT | DESC_F_WRITE, 2);
    rig.desc(2, STATUS, 1, DESC_F_WRITE, 0);
    rig.submit(0);
    assert_eq!(rig.status_byte(), S_IOERR);
    // A huge length near the end of the address space.
    rig.desc(1, u64::MAX - 10, u32::MAX, DESC_F_NEXT | DESC_F_WRITE, 2);
    rig.submit(0);
    assert_eq!(rig.status_byte(), S_IOERR);
    assert_eq!(rig.used(0).0, 5);
    assert!(!rig.needs_reset());
}

/// Sets `NEEDS_RESET` and a configuration interrupt, uses nothing; a reset recovers.
fn assert_broken(rig: &mut Rig, used_before: u16, what: &str) {
    assert!(rig.needs_reset(), "{what}: DEVICE_NEEDS_RESET");
    assert_ne!(
        rig.r(R_INTERRUPT_STATUS) & u64::from(INT_CONFIG),
        0,
        "{what}: configuration change interrupt"
    );
    assert_eq!(rig.u16_at(USED + 2), used_before, "{what}: nothing used");
    // Further notifications are ignored until the driver resets the device.
    rig.w(R_QUEUE_NOTIFY, 0);
    assert_eq!(rig.u16_at(USED + 2), used_before);
    rig.w(R_STATUS, 0);
    assert_eq!(rig.r(R_STATUS), 0, "{what}: reset");
    assert_eq!(rig.r(R_INTERRUPT_STATUS), 0);
    rig.ram[(USED - RAM) as usize..(USED - RAM) as usize + 4].fill(0);
    rig.ram[(AVAIL - RAM) as usize..(AVAIL - RAM) as usize + 4].fill(0);
    rig.avail_idx = 0;
    rig.setup();
    rig.request(T_IN, 0, 512, true);
    assert_eq!(rig.status_byte(), S_OK, "{what}: works again after a reset");
}

#[test]
fn malformed_chains_need_a_reset_and_never_panic() {
    let mut rig = Rig::new(false);
    rig.setup();
    // A loop: 0 -> 1 -> 0.
    rig.header(T_IN, 0);
    rig.desc(0, HDR, 16, DESC_F_NEXT, 1);
    rig.desc(1, DATA, 512, DESC_F_NEXT, 0);
    rig.submit(0);
    assert_eq!(rig.device_error(), Some(ChainError::Loop));
    assert_broken(&mut rig, 0, "loop");

    // A head or next index out of the table.
    rig.submit(NUM);
    assert_eq!(rig.device_error(), Some(ChainError::BadIndex));
    assert_broken(&mut rig, 1, "head out of range");
    rig.desc(0, HDR, 16, DESC_F_NEXT, 999);
    rig.submit(0);
    assert_eq!(rig.device_error(), Some(ChainError::BadIndex));
    assert_broken(&mut rig, 1, "next out of range");

    // Indirect: nested, with NEXT, bad length, outside RAM.
    for (i, (addr, len, flags)) in [
        (TABLE, 32, DESC_F_INDIRECT | DESC_F_NEXT),
        (TABLE, 17, DESC_F_INDIRECT),
        (TABLE, 0, DESC_F_INDIRECT),
        (TABLE, 16 * 5000, DESC_F_INDIRECT),
        (0x10, 64, DESC_F_INDIRECT),
    ]
    .into_iter()
    .enumerate()
    {
        rig.desc(0, addr, len, flags, 1);
        rig.submit(0);
        assert!(rig.device_error().is_some(), "indirect case {i}");
        assert_broken(&mut rig, 1, "bad indirect");
    }
    rig.desc_in(TABLE, 0, TABLE, 16, DESC_F_INDIRECT, 0);
    rig.desc(0, TABLE, 16, DESC_F_INDIRECT, 0);
    rig.submit(0);
    assert_eq!(rig.device_error(), Some(ChainError::BadIndirect), "nested");
    assert_broken(&mut rig, 1, "nested indirect");

    // A readable buffer after a writable one; a header outside RAM; no status byte.
    rig.desc(0, STATUS, 1, DESC_F_WRITE | DESC_F_NEXT, 1);
    rig.desc(1, HDR, 16, 0, 0);
    rig.submit(0);
    assert_eq!(rig.device_error(), Some(ChainError::Layout));
    assert_broken(&mut rig, 1, "layout");
    rig.desc(0, 0x2000, 16, DESC_F_NEXT, 1);
    rig.desc(1, STATUS, 1, DESC_F_WRITE, 0);
    rig.submit(0);
    assert_eq!(rig.device_error(), Some(ChainError::OutsideRam));
    assert_broken(&mut rig, 1, "header outside RAM");
    rig.desc(0, HDR, 16, 0, 0);
    rig.submit(0);
    assert_eq!(rig.device_error(), Some(ChainError::Short));
    assert_broken(&mut rig, 1, "no status");

    // The available index jumping past the queue size.
    rig.put(AVAIL + 2, &(NUM + 5).to_le_bytes());
    rig.w(R_QUEUE_NOTIFY, 0);
    assert_eq!(rig.device_error(), Some(ChainError::AvailOverrun));
    assert_broken(&mut rig, 1, "avail overrun");
}

#[test]
fn rings_outside_ram_and_bad_queue_setup() {
    let mut rig = Rig::new(false);
    rig.setup();
    // Rings may not move while the queue is ready.
    rig.w(0x90, 0x10);
    rig.request(T_IN, 0, 512, true);
    assert_eq!(rig.status_byte(), S_OK);
    // Queue size above the maximum, or zero: the queue does not become ready.
    rig.w(R_STATUS, 0);
    rig.w(0x30, 0);
    for n in [0, u64::from(QUEUE_MAX) + 1] {
        rig.w(0x38, n);
        rig.w(0x44, 1);
        assert_eq!(rig.r(0x44), 0, "queue size {n}");
    }
    // Queues that do not exist read as absent and ignore writes.
    rig.w(0x30, 1);
    assert_eq!(rig.r(0x34), 0);
    rig.w(0x44, 1);
    assert_eq!(rig.r(0x44), 0);
    // The available ring outside RAM.
    rig.w(0x30, 0);
    rig.w(0x38, u64::from(NUM));
    rig.w(0x90, 0xffff_fff0);
    rig.w(0x94, 0xffff_ffff);
    rig.w(0x44, 1);
    rig.w(R_STATUS, u64::from(S_ACKNOWLEDGE | S_DRIVER | S_DRIVER_OK));
    rig.w(R_QUEUE_NOTIFY, 0);
    assert!(rig.needs_reset());
    // Notifying a queue that does not exist does nothing.
    let mut rig = Rig::new(false);
    rig.setup();
    rig.w(R_QUEUE_NOTIFY, 7);
    rig.w(R_QUEUE_NOTIFY, 0xffff_ffff);
    assert!(!rig.needs_reset());
    // Without DRIVER_OK nothing is served.
    let mut rig = Rig::new(false);
    rig.setup();
    rig.w(
        R_STATUS,
        u64::from(S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK),
    );
    rig.request(T_IN, 0, 512, true);
    assert_eq!(rig.u16_at(USED + 2), 0);
}

#[test]
fn no_interrupt_flag_and_wrapping_indices() {
    let mut rig = Rig::new(false);
    rig.setup();
    rig.put(AVAIL, &AVAIL_F_NO_INTERRUPT.to_le_bytes());
    rig.request(T_IN, 0, 512, true);
    assert_eq!(rig.status_byte(), S_OK);
    assert_eq!(rig.r(R_INTERRUPT_STATUS), 0, "driver suppressed it");
    assert_eq!(rig.board.external_irqs(), (false, false));
    rig.put(AVAIL, &0u16.to_le_bytes());
    for i in 1..(3 * NUM + 3) {
        rig.request(T_IN, u64::from(i % 8), 512, true);
        assert_eq!(rig.status_byte(), S_OK);
        assert_eq!(rig.used(i), (i + 1, 0, 513));
    }
    assert_eq!(rig.r(R_INTERRUPT_STATUS), u64::from(INT_USED));
}

#[test]
fn bus_records_dma_writes_for_cached_code() {
    let mut bus = crate::machine::Bus::new(RAM, RAM_SIZE as u64);
    let mut rig = Rig::new(false);
    rig.setup();
    rig.header(T_IN, 0);
    rig.desc(0, HDR, 16, DESC_F_NEXT, 1);
    rig.desc(1, DATA, 1024, DESC_F_NEXT | DESC_F_WRITE, 2);
    rig.desc(2, STATUS, 1, DESC_F_WRITE, 0);
    rig.put(AVAIL + 4, &0u16.to_le_bytes());
    rig.put(AVAIL + 2, &1u16.to_le_bytes());
    bus.ram_slice_mut(RAM, RAM_SIZE as u64)
        .expect("RAM slice")
        .copy_from_slice(&rig.ram);
    bus.board = Some(Box::new(std::mem::take(&mut rig.board)));
    use translator::emit::Width;
    bus.write(VIRTIO_BASE + R_QUEUE_NOTIFY, 0, Width::W)
        .expect("queue notify");
    let w = bus.take_dma_writes();
    assert!(w.contains(&(DATA, 1024)), "{w:x?}");
    assert!(w.contains(&(STATUS, 1)), "{w:x?}");
    assert!(bus.take_dma_writes().is_empty());
    let want: Vec<u8> = (0..1024).map(pattern).collect();
    assert_eq!(bus.ram_slice(DATA, 1024).expect("RAM slice"), &want[..]);
}

impl Rig {
    fn device_error(&self) -> Option<ChainError> {
        self.board.virtio[0].last_error
    }
}
