//! An in-process chain: the crossmargin program compiled for the host and loaded natively into
//! `solana-program-test` (SPL Token runs as the real BPF program). Used by the CLI's demo and by
//! the keeper's tests.
//!
//! `solana-program-test` has no `getProgramAccounts`, so this chain keeps an index of every
//! account any transaction it processed has touched (plus any it is told to `track`), and answers
//! program-account queries from that index.
//!
//! Transactions are held to mainnet's limits: program-test's account-lock limit is set to 64 (its
//! default is 128), and every transaction is built by the SDK's builder, which refuses one over
//! 1,232 bytes (program-test itself checks no packet size). Compute units are not measured for a
//! natively run program: a simulation reports what the runtime charged, not what the SBF binary
//! would use.

pub mod bootstrap;

use std::collections::BTreeSet;
use std::sync::Mutex;

use anchor_lang::prelude::{AccountInfo, Clock, Pubkey};
use anchor_lang::solana_program::entrypoint::ProgramResult;
use anchor_lang::solana_program::instruction::{Instruction, InstructionError};
use anchor_lang::solana_program::program_stubs::{set_syscall_stubs, SyscallStubs};
use base64::prelude::{Engine, BASE64_STANDARD};
use crossmargin_sdk::tx;
use solana_program_test::{processor, ProgramTest, ProgramTestContext};
use solana_sdk::account::{Account, AccountSharedData};
use solana_sdk::hash::Hash;
use solana_sdk::message::AddressLookupTableAccount;
use solana_sdk::signature::{Keypair, Signature};
use solana_sdk::transaction::{TransactionError, VersionedTransaction};

use anchor_spl::token::spl_token;

use crate::chain::{anchor_error_from_logs, Chain, ChainError, Simulation};

// Anchor's `entry` wants `&'info [AccountInfo<'info>]`; `processor!` hands out independent
// lifetimes (anchor#2738). The slice lives for the whole call, so tying them together is sound.
fn process_instruction<'a, 'b, 'c, 'd>(
    program_id: &'a Pubkey,
    accounts: &'b [AccountInfo<'c>],
    data: &'d [u8],
) -> ProgramResult {
    let accounts: &'c [AccountInfo<'c>] = unsafe { std::mem::transmute(accounts) };
    cross_margin::entry(program_id, accounts, data)
}

/// Mainnet's account-lock limit per transaction.
pub const ACCOUNT_LOCK_LIMIT: usize = 64;

/// A `ProgramTest` with crossmargin loaded natively (and program-test's default programs,
/// SPL Token and the address lookup table program among them), held to 64 account locks.
pub fn program_test() -> ProgramTest {
    // program-test turns on the runtime's debug log (every instruction of every transaction)
    // unless RUST_LOG says otherwise: an embedded chain is quiet by default
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "error");
    }
    let mut pt = ProgramTest::new(
        "cross_margin",
        cross_margin::ID,
        processor!(process_instruction),
    );
    pt.prefer_bpf(false);
    pt.set_transaction_account_lock_limit(ACCOUNT_LOCK_LIMIT);
    pt
}

/// program-test writes each `invoke` and `success` line of a native program twice (once from
/// the runtime, once from the builtin's own logger); a validator writes each once. A native
/// program's CPI is logged first by program-test's stub at depth `[1]` and then by the runtime at
/// its true depth; and an event goes to the log as `Program log: Program data: ...`. This keeps
/// the validator's form: a `success` or `failed` line equal to the one before it is dropped, of
/// two consecutive `invoke` lines of one program the last (the runtime's) is kept, and event lines
/// read `Program data: ...`.
pub fn validator_logs(logs: Vec<String>) -> Vec<String> {
    fn invoked(line: &str) -> Option<&str> {
        let rest = line.strip_prefix("Program ")?;
        let (program, depth) = rest.split_once(" invoke [")?;
        depth.ends_with(']').then_some(program)
    }
    let mut out: Vec<String> = Vec::with_capacity(logs.len());
    for line in logs {
        // the event stub's `sol_log` adds a `Program log: ` a validator does not write
        let line = match line.strip_prefix("Program log: ") {
            Some(rest) if rest.starts_with("Program data: ") => rest.to_string(),
            _ => line,
        };
        let closing = line.starts_with("Program ")
            && (line.ends_with(" success") || line.contains(" failed: "));
        if closing && out.last() == Some(&line) {
            continue;
        }
        if let (Some(program), Some(last)) = (invoked(&line), out.last()) {
            if invoked(last) == Some(program) {
                *out.last_mut().expect("a last line") = line;
                continue;
            }
        }
        out.push(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::validator_logs;

    #[test]
    fn native_duplicates_collapse_to_the_validator_form() {
        let native = [
            "Program P invoke [1]",
            "Program P invoke [1]",
            "Program S invoke [1]",
            "Program S invoke [2]",
            "Program S success",
            "Program S success",
            "Program log: x",
            "Program log: Program data: AQID",
            "Program P success",
            "Program P success",
        ];
        let want = [
            "Program P invoke [1]",
            "Program S invoke [2]",
            "Program S success",
            "Program log: x",
            "Program data: AQID",
            "Program P success",
        ];
        let got = validator_logs(native.iter().map(|s| s.to_string()).collect());
        assert_eq!(got, want);
    }
}

// Natively, Anchor's `emit!` calls `sol_log_data`, which program-test's syscall stubs leave to the
// default (a print to stdout). This wrapper forwards every syscall to program-test's stubs and
// puts `sol_log_data` into the transaction log through `sol_log`, so events can be read from the
// logs. The stubs cannot reach the log collector without the `Program log:` prefix, so the line
// reads `Program log: Program data: <base64>` there; `validator_logs` gives it the validator's form
// (`Program data: <base64>`) in everything the embedded chain returns.
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

struct NoStubs;
impl SyscallStubs for NoStubs {}

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

/// A failed transaction and its logs.
#[derive(Debug)]
pub struct Failure {
    pub error: TransactionError,
    pub logs: Vec<String>,
}

impl Failure {
    pub fn custom_code(&self) -> Option<u32> {
        match self.error {
            TransactionError::InstructionError(_, InstructionError::Custom(n)) => Some(n),
            _ => None,
        }
    }
}

/// A processed transaction, as a validator's ledger would keep it.
#[derive(Clone, Debug)]
pub struct Processed {
    pub signature: Signature,
    pub slot: u64,
    pub logs: Vec<String>,
    pub error: Option<TransactionError>,
    pub transaction: VersionedTransaction,
    /// Whether the bank executed it (and charged its fee); false when it was refused before
    /// execution (blockhash, account locks, sanitization).
    pub executed: bool,
}

/// How many processed transactions the journal keeps.
pub const JOURNAL_LEN: usize = 10_000;

pub struct EmbeddedChain {
    pub ctx: ProgramTestContext,
    known: BTreeSet<Pubkey>,
    nonce: u64,
    payer: Keypair,
    /// The lookup tables `send_with_logs` compiles v0 messages against (none: legacy).
    pub tables: Vec<AddressLookupTableAccount>,
    /// Every transaction processed (the last `JOURNAL_LEN`), in order.
    pub journal: std::collections::VecDeque<Processed>,
    /// Processed transactions so far (the journal's first entry is number
    /// `processed - journal.len()`).
    pub processed: u64,
}

impl EmbeddedChain {
    pub async fn start() -> Self {
        Self::from_context(start_with_event_logs(program_test()).await)
    }

    pub fn from_context(ctx: ProgramTestContext) -> Self {
        let payer = ctx.payer.insecure_clone();
        EmbeddedChain {
            ctx,
            known: BTreeSet::new(),
            nonce: 0,
            payer,
            tables: Vec::new(),
            journal: std::collections::VecDeque::new(),
            processed: 0,
        }
    }

    /// The journal's entries from number `from` on.
    pub fn journal_since(&self, from: u64) -> impl Iterator<Item = &Processed> {
        let first = self.processed - self.journal.len() as u64;
        self.journal
            .iter()
            .skip(from.saturating_sub(first) as usize)
    }

    /// The known accounts (every account a processed transaction named, and those tracked).
    pub fn known_accounts(&self) -> impl Iterator<Item = &Pubkey> {
        self.known.iter()
    }

    /// The context's fee payer.
    pub fn payer_keypair(&self) -> Keypair {
        self.payer.insecure_clone()
    }

    /// Processes a signed transaction; returns its logs (validator form).
    pub async fn process(&mut self, tx: VersionedTransaction) -> Result<Vec<String>, Failure> {
        if let Some(keys) = self.static_and_loaded_keys(&tx) {
            self.known.extend(keys);
        }
        let signature = tx.signatures.first().copied().unwrap_or_default();
        let slot = self.ctx.banks_client.get_root_slot().await.unwrap_or(0);
        let out = self
            .ctx
            .banks_client
            .process_transaction_with_metadata(tx.clone())
            .await
            .map_err(|e| Failure {
                error: TransactionError::ClusterMaintenance,
                logs: vec![e.to_string()],
            })?;
        let executed = out.metadata.is_some();
        let logs = validator_logs(out.metadata.map(|m| m.log_messages).unwrap_or_default());
        if self.journal.len() == JOURNAL_LEN {
            self.journal.pop_front();
        }
        self.journal.push_back(Processed {
            signature,
            slot,
            logs: logs.clone(),
            error: out.result.clone().err(),
            transaction: tx,
            executed,
        });
        self.processed += 1;
        match out.result {
            Ok(()) => Ok(logs),
            Err(error) => Err(Failure { error, logs }),
        }
    }

    fn static_and_loaded_keys(&self, tx: &VersionedTransaction) -> Option<Vec<Pubkey>> {
        let mut keys = tx.message.static_account_keys().to_vec();
        if let Some(lookups) = tx.message.address_table_lookups() {
            for l in lookups {
                let table = self.tables.iter().find(|t| t.key == l.account_key)?;
                for i in l.writable_indexes.iter().chain(&l.readonly_indexes) {
                    keys.push(*table.addresses.get(*i as usize)?);
                }
            }
        }
        Some(keys)
    }

    /// Moves the bank `slots` slots ahead (new lookup-table entries resolve from the next slot).
    pub async fn warp_slots(&mut self, slots: u64) {
        let slot = self.ctx.banks_client.get_root_slot().await.expect("slot");
        let clock: Clock = self.ctx.banks_client.get_sysvar().await.expect("clock");
        self.ctx.warp_to_slot(slot + slots.max(1)).expect("warp");
        // a warp restarts the clock from the slot; keep the test's time
        let mut after: Clock = self.ctx.banks_client.get_sysvar().await.expect("clock");
        after.unix_timestamp = clock.unix_timestamp;
        self.ctx.set_sysvar(&after);
    }

    /// Adds an account to the index `get_program_accounts` answers from.
    pub fn track(&mut self, key: Pubkey) {
        self.known.insert(key);
    }

    /// Sends one transaction paid by the context payer, built by the SDK's builder (v0 against
    /// `tables` when set, within the packet and lock limits); returns its logs. Every
    /// transaction carries a distinct compute-unit price (`priority_fee` + a counter), so
    /// retrying identical instructions makes a new transaction.
    pub async fn send_with_logs(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
        priority_fee: u64,
    ) -> Result<Vec<String>, Failure> {
        self.nonce += 1;
        let mut all = tx::compute_budget(tx::MAX_COMPUTE_UNITS, priority_fee + self.nonce).to_vec();
        all.extend_from_slice(ixs);
        for i in ixs {
            for m in &i.accounts {
                self.known.insert(m.pubkey);
            }
        }
        let blockhash = self.blockhash().await?;
        let tx = tx::build_transaction(&self.payer, &all, signers, &self.tables, blockhash)
            .map_err(|e| Failure {
                error: TransactionError::SanitizeFailure,
                logs: vec![e.to_string()],
            })?;
        self.process(tx).await
    }

    async fn blockhash(&mut self) -> Result<Hash, Failure> {
        self.ctx
            .banks_client
            .get_latest_blockhash()
            .await
            .map_err(|e| Failure {
                error: TransactionError::ClusterMaintenance,
                logs: vec![e.to_string()],
            })
    }

    /// Sets the cluster clock's unix timestamp.
    pub async fn set_time(&mut self, unix_timestamp: i64) {
        let mut clock: Clock = self.ctx.banks_client.get_sysvar().await.expect("clock");
        clock.unix_timestamp = unix_timestamp;
        self.ctx.set_sysvar(&clock);
    }

    /// Writes an account (rent-exempt lamports) and tracks it.
    pub async fn set_account(&mut self, key: Pubkey, owner: Pubkey, data: Vec<u8>) {
        let rent = self.ctx.banks_client.get_rent().await.expect("rent");
        let account = Account {
            lamports: rent.minimum_balance(data.len()),
            data,
            owner,
            executable: false,
            rent_epoch: 0,
        };
        self.ctx
            .set_account(&key, &AccountSharedData::from(account));
        self.known.insert(key);
    }
}

// Tokens and lamports, for setting up a demo or a test.
impl EmbeddedChain {
    /// Transfers lamports from the payer.
    pub async fn airdrop(&mut self, to: &Pubkey, lamports: u64) -> Result<(), Failure> {
        let payer = self.payer_keypair();
        let ix = solana_system_interface::instruction::transfer(
            &solana_sdk::signature::Signer::pubkey(&payer),
            to,
            lamports,
        );
        self.send_with_logs(&[ix], &[], 0).await.map(|_| ())
    }

    /// A new SPL Token mint with `authority` as mint authority.
    pub async fn create_mint(
        &mut self,
        authority: &Pubkey,
        decimals: u8,
    ) -> Result<Pubkey, Failure> {
        use solana_sdk::program_pack::Pack;
        use solana_sdk::signature::Signer;
        let mint = Keypair::new();
        let payer = self.payer.pubkey();
        let rent = self.ctx.banks_client.get_rent().await.expect("rent");
        let len = spl_token::state::Mint::LEN;
        let ixs = [
            solana_system_interface::instruction::create_account(
                &payer,
                &mint.pubkey(),
                rent.minimum_balance(len),
                len as u64,
                &spl_token::ID,
            ),
            spl_token::instruction::initialize_mint2(
                &spl_token::ID,
                &mint.pubkey(),
                authority,
                None,
                decimals,
            )
            .expect("initialize_mint2"),
        ];
        self.send_with_logs(&ixs, &[&mint], 0).await?;
        Ok(mint.pubkey())
    }

    /// A new token account of `mint` owned by `owner`.
    pub async fn create_token_account(
        &mut self,
        mint: &Pubkey,
        owner: &Pubkey,
    ) -> Result<Pubkey, Failure> {
        use solana_sdk::program_pack::Pack;
        use solana_sdk::signature::Signer;
        let account = Keypair::new();
        let payer = self.payer.pubkey();
        let rent = self.ctx.banks_client.get_rent().await.expect("rent");
        let len = spl_token::state::Account::LEN;
        let ixs = [
            solana_system_interface::instruction::create_account(
                &payer,
                &account.pubkey(),
                rent.minimum_balance(len),
                len as u64,
                &spl_token::ID,
            ),
            spl_token::instruction::initialize_account3(
                &spl_token::ID,
                &account.pubkey(),
                mint,
                owner,
            )
            .expect("initialize_account3"),
        ];
        self.send_with_logs(&ixs, &[&account], 0).await?;
        Ok(account.pubkey())
    }

    pub async fn mint_to(
        &mut self,
        mint: &Pubkey,
        to: &Pubkey,
        authority: &Keypair,
        amount: u64,
    ) -> Result<(), Failure> {
        use solana_sdk::signature::Signer;
        let ix = spl_token::instruction::mint_to(
            &spl_token::ID,
            mint,
            to,
            &authority.pubkey(),
            &[],
            amount,
        )
        .expect("mint_to");
        self.send_with_logs(&[ix], &[authority], 0)
            .await
            .map(|_| ())
    }

    /// A token account's balance (0 when it does not exist).
    pub async fn token_balance(&mut self, account: &Pubkey) -> u64 {
        use solana_sdk::program_pack::Pack;
        match self.ctx.banks_client.get_account(*account).await {
            Ok(Some(a)) => spl_token::state::Account::unpack(&a.data)
                .map(|t| t.amount)
                .unwrap_or(0),
            _ => 0,
        }
    }
}

fn failed(error: TransactionError, logs: &[String]) -> ChainError {
    let program_error = match error {
        TransactionError::InstructionError(_, InstructionError::Custom(n)) => Some(n),
        _ => None,
    };
    ChainError::Failed {
        message: anchor_error_from_logs(logs).unwrap_or_else(|| format!("{error:?}")),
        program_error,
    }
}

impl Chain for EmbeddedChain {
    async fn get_account(&mut self, key: &Pubkey) -> Result<Option<Account>, ChainError> {
        self.ctx
            .banks_client
            .get_account(*key)
            .await
            .map_err(|e| ChainError::Unavailable(e.to_string()))
    }

    async fn get_multiple_accounts(
        &mut self,
        keys: &[Pubkey],
    ) -> Result<Vec<Option<Account>>, ChainError> {
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            out.push(self.get_account(k).await?);
        }
        Ok(out)
    }

    async fn get_program_accounts(
        &mut self,
        program: &Pubkey,
        data_size: usize,
        prefix: &[u8],
    ) -> Result<Vec<(Pubkey, Account)>, ChainError> {
        let keys: Vec<Pubkey> = self.known.iter().copied().collect();
        let mut out = Vec::new();
        for k in keys {
            if let Some(a) = self.get_account(&k).await? {
                if a.owner == *program && a.data.len() == data_size && a.data.starts_with(prefix) {
                    out.push((k, a));
                }
            }
        }
        Ok(out)
    }

    async fn latest_blockhash(&mut self) -> Result<Hash, ChainError> {
        self.blockhash()
            .await
            .map_err(|f| ChainError::Unavailable(f.logs.join("; ")))
    }

    async fn blockhash_validity(&mut self) -> Result<(Hash, u64, u64), ChainError> {
        let hash = self.latest_blockhash().await?;
        let slot = self
            .ctx
            .banks_client
            .get_root_slot()
            .await
            .map_err(|e| ChainError::Unavailable(e.to_string()))?;
        // one block per slot; a blockhash lands for 150 blocks
        Ok((hash, slot + 150, slot))
    }

    /// The bank's own answer: a payer's transfer to itself on `hash`, simulated (program-test's
    /// bank ages blockhashes faster than one per block, so no count of blocks says it).
    async fn is_blockhash_valid(&mut self, hash: &Hash) -> Result<bool, ChainError> {
        let payer = solana_sdk::signer::Signer::pubkey(&self.payer);
        let probe = solana_sdk::transaction::Transaction::new_signed_with_payer(
            &[solana_sdk::system_instruction::transfer(&payer, &payer, 1)],
            Some(&payer),
            &[&self.payer],
            *hash,
        );
        let out = self
            .ctx
            .banks_client
            .simulate_transaction(probe)
            .await
            .map_err(|e| ChainError::Unavailable(e.to_string()))?;
        Ok(!matches!(
            out.result,
            Some(Err(TransactionError::BlockhashNotFound))
        ))
    }

    async fn simulate(&mut self, tx: &VersionedTransaction) -> Result<Simulation, ChainError> {
        let out = self
            .ctx
            .banks_client
            .simulate_transaction(tx.clone())
            .await
            .map_err(|e| ChainError::Unavailable(e.to_string()))?;
        let (logs, units_consumed) = out
            .simulation_details
            .map(|d| (validator_logs(d.logs), d.units_consumed))
            .unwrap_or_default();
        let error = match out.result {
            Some(Err(e)) => Some(failed(e, &logs)),
            _ => None,
        };
        Ok(Simulation {
            units_consumed,
            logs,
            error,
        })
    }

    async fn send_transaction(
        &mut self,
        tx: &VersionedTransaction,
    ) -> Result<Signature, ChainError> {
        let signature = tx.signatures.first().copied().unwrap_or_default();
        self.process(tx.clone())
            .await
            .map(|_| signature)
            .map_err(|f| failed(f.error, &f.logs))
    }

    fn payer(&self) -> &Keypair {
        &self.payer
    }

    async fn unix_timestamp(&mut self) -> Result<i64, ChainError> {
        let clock: Clock = self
            .ctx
            .banks_client
            .get_sysvar()
            .await
            .map_err(|e| ChainError::Unavailable(e.to_string()))?;
        Ok(clock.unix_timestamp)
    }
}
