//! Events from transaction logs. Natively `sol_log_data` only prints to stdout, so the harness
//! wraps program-test's syscall stubs and routes it into the transaction log as
//! `Program data: <base64>` (what the validator writes), where these helpers find it.

use std::sync::Mutex;

use solana_program_test::{ProgramTest, ProgramTestContext};

use anchor_lang::prelude::{AccountInfo, Pubkey};
use anchor_lang::solana_program::entrypoint::ProgramResult;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::solana_program::program_stubs::{set_syscall_stubs, SyscallStubs};
use anchor_lang::{AnchorDeserialize, Discriminator, Event};
use base64::prelude::{Engine, BASE64_STANDARD};

struct EventLogStubs {
    inner: Box<dyn SyscallStubs>,
}

impl SyscallStubs for EventLogStubs {
    fn sol_log(&self, message: &str) {
        self.inner.sol_log(message)
    }
    fn sol_log_compute_units(&self) {
        self.inner.sol_log_compute_units()
    }
    fn sol_remaining_compute_units(&self) -> u64 {
        self.inner.sol_remaining_compute_units()
    }
    fn sol_invoke_signed(
        &self,
        instruction: &Instruction,
        account_infos: &[AccountInfo],
        signers_seeds: &[&[&[u8]]],
    ) -> ProgramResult {
        self.inner
            .sol_invoke_signed(instruction, account_infos, signers_seeds)
    }
    fn sol_get_sysvar(&self, id: *const u8, var: *mut u8, offset: u64, length: u64) -> u64 {
        self.inner.sol_get_sysvar(id, var, offset, length)
    }
    fn sol_get_clock_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.inner.sol_get_clock_sysvar(var_addr)
    }
    fn sol_get_epoch_schedule_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.inner.sol_get_epoch_schedule_sysvar(var_addr)
    }
    fn sol_get_fees_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.inner.sol_get_fees_sysvar(var_addr)
    }
    fn sol_get_rent_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.inner.sol_get_rent_sysvar(var_addr)
    }
    fn sol_get_epoch_rewards_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.inner.sol_get_epoch_rewards_sysvar(var_addr)
    }
    fn sol_get_last_restart_slot(&self, var_addr: *mut u8) -> u64 {
        self.inner.sol_get_last_restart_slot(var_addr)
    }
    fn sol_get_epoch_stake(&self, vote_address: *const u8) -> u64 {
        self.inner.sol_get_epoch_stake(vote_address)
    }
    unsafe fn sol_memcpy(&self, dst: *mut u8, src: *const u8, n: usize) {
        self.inner.sol_memcpy(dst, src, n)
    }
    unsafe fn sol_memmove(&self, dst: *mut u8, src: *const u8, n: usize) {
        self.inner.sol_memmove(dst, src, n)
    }
    unsafe fn sol_memcmp(&self, s1: *const u8, s2: *const u8, n: usize, result: *mut i32) {
        self.inner.sol_memcmp(s1, s2, n, result)
    }
    unsafe fn sol_memset(&self, s: *mut u8, c: u8, n: usize) {
        self.inner.sol_memset(s, c, n)
    }
    fn sol_get_return_data(&self) -> Option<(Pubkey, Vec<u8>)> {
        self.inner.sol_get_return_data()
    }
    fn sol_set_return_data(&self, data: &[u8]) {
        self.inner.sol_set_return_data(data)
    }
    fn sol_log_data(&self, fields: &[&[u8]]) {
        let encoded: Vec<String> = fields.iter().map(|f| BASE64_STANDARD.encode(f)).collect();
        self.inner
            .sol_log(&format!("Program data: {}", encoded.join(" ")))
    }
    fn sol_get_processed_sibling_instruction(&self, index: usize) -> Option<Instruction> {
        self.inner.sol_get_processed_sibling_instruction(index)
    }
    fn sol_get_stack_height(&self) -> u64 {
        self.inner.sol_get_stack_height()
    }
}

static STUBS_INSTALLED: Mutex<bool> = Mutex::new(false);

/// Starts a program-test context with the event-log stubs in place.
///
/// program-test installs its own stubs (once per process) when its first bank is set up, and
/// `set_syscall_stubs` replaces rather than wraps. So the first start happens under a lock that
/// every other start waits on; right after it, the stubs are swapped for a wrapper around them.
/// No program runs during the swap because no other context has started yet.
#[allow(clippy::await_holding_lock)] // deliberate: the lock must cover the first start
pub async fn start_with_event_logs(pt: ProgramTest) -> ProgramTestContext {
    let mut installed = STUBS_INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
    if *installed {
        drop(installed);
        return pt.start_with_context().await;
    }
    let ctx = pt.start_with_context().await;
    let inner = set_syscall_stubs(Box::new(NoStubs));
    set_syscall_stubs(Box::new(EventLogStubs { inner }));
    *installed = true;
    ctx
}

struct NoStubs;
impl SyscallStubs for NoStubs {}

/// All events of type `E` in `logs`, in order.
pub fn events<E: Event + AnchorDeserialize + Discriminator>(logs: &[String]) -> Vec<E> {
    let mut out = Vec::new();
    for line in logs {
        let Some(pos) = line.find("Program data: ") else {
            continue;
        };
        for field in line[pos + "Program data: ".len()..].split(' ') {
            let Ok(bytes) = BASE64_STANDARD.decode(field) else {
                continue;
            };
            if bytes.len() >= 8 && bytes[..8] == *E::DISCRIMINATOR {
                if let Ok(e) = E::deserialize(&mut &bytes[8..]) {
                    out.push(e);
                }
            }
        }
    }
    out
}

/// The single event of type `E` in `logs`.
pub fn one_event<E: Event + AnchorDeserialize + Discriminator>(logs: &[String]) -> E {
    let mut all = events::<E>(logs);
    assert_eq!(all.len(), 1, "expected exactly one event; logs: {logs:#?}");
    all.remove(0)
}
