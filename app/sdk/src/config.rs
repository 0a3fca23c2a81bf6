//! The deploy script's config format (`migrations/*.json`, camelCase): read by the local node's
//! bootstrap, `crossmargin admin queue add-market`, and (in TypeScript) `migrations/deploy.ts`.

use anchor_lang::prelude::Pubkey;
use cross_margin::state::{AdminAction, MarketParams, OracleSource};
use serde::Deserialize;

/// A config that cannot be used, in one sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl ConfigError {
    fn new(msg: impl Into<String>) -> Self {
        ConfigError(msg.into())
    }
}

/// A u64 given as a number or a string (JSON numbers lose precision past 2^53).
#[derive(Debug, Clone, Copy)]
pub struct U64(pub u64);

impl<'de> Deserialize<'de> for U64 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            N(u64),
            S(String),
        }
        match Either::deserialize(d)? {
            Either::N(n) => Ok(U64(n)),
            Either::S(s) => s.parse().map(U64).map_err(serde::de::Error::custom),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ParamsConfig {
    pub initial_margin_ratio: u32,
    pub maintenance_margin_ratio: u32,
    pub liquidation_fee: u32,
    pub insurance_fee: u32,
    pub upnl_initial_weight: u32,
    pub taker_fee: u32,
    pub maker_fee: i32,
    pub price_band: u32,
    pub max_conf_ratio: u32,
    pub max_oracle_age_secs: u32,
    pub liquidation_max_oracle_age_secs: u32,
    pub max_funding_premium: u32,
    pub funding_period_secs: u32,
    pub base_lot_size: U64,
    pub min_position_base: U64,
    pub open_interest_cap: U64,
    #[serde(default)]
    pub margin_group: u8,
    #[serde(default)]
    pub systematic_share: u32,
}

impl ParamsConfig {
    pub fn to_params(&self) -> MarketParams {
        MarketParams {
            initial_margin_ratio: self.initial_margin_ratio,
            maintenance_margin_ratio: self.maintenance_margin_ratio,
            liquidation_fee: self.liquidation_fee,
            insurance_fee: self.insurance_fee,
            upnl_initial_weight: self.upnl_initial_weight,
            taker_fee: self.taker_fee,
            maker_fee: self.maker_fee,
            price_band: self.price_band,
            max_conf_ratio: self.max_conf_ratio,
            max_oracle_age_secs: self.max_oracle_age_secs,
            liquidation_max_oracle_age_secs: self.liquidation_max_oracle_age_secs,
            max_funding_premium: self.max_funding_premium,
            funding_period_secs: self.funding_period_secs,
            base_lot_size: self.base_lot_size.0,
            min_position_base: self.min_position_base.0,
            open_interest_cap: self.open_interest_cap.0,
            margin_group: self.margin_group,
            systematic_share: self.systematic_share,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MarketConfig {
    pub symbol: String,
    /// `"pyth-pull"` or `"pyth-legacy"`.
    pub oracle_source: String,
    /// The price account; for a pull feed, the sponsored feed account of `pythFeedId`.
    pub oracle: Option<String>,
    #[serde(default)]
    pub pyth_feed_id: Option<String>,
    /// A contract is this many tokens (a power of ten; default 1).
    #[serde(default)]
    pub tokens_per_contract: Option<U64>,
    pub params: ParamsConfig,
    /// The local node's starting price for this market (USD), ignored on a cluster.
    #[serde(default)]
    pub local_price: Option<f64>,
}

impl MarketConfig {
    pub fn source(&self) -> Result<OracleSource, ConfigError> {
        match self.oracle_source.as_str() {
            "pyth-pull" => Ok(OracleSource::PythPull),
            "pyth-legacy" => Ok(OracleSource::PythLegacy),
            s => Err(ConfigError::new(format!(
                "{}: oracleSource must be \"pyth-pull\" or \"pyth-legacy\", got \"{s}\"",
                self.symbol
            ))),
        }
    }

    pub fn feed_id(&self) -> Result<[u8; 32], ConfigError> {
        let Some(hex) = &self.pyth_feed_id else {
            return Ok([0; 32]);
        };
        let hex = hex.trim_start_matches("0x");
        let bad = || ConfigError::new(format!("{}: pythFeedId must be 64 hex digits", self.symbol));
        if hex.len() != 64 {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(out)
    }

    pub fn symbol_bytes(&self) -> Result<[u8; 16], ConfigError> {
        let b = self.symbol.as_bytes();
        if b.is_empty() || b.len() > 16 {
            return Err(ConfigError::new(format!(
                "symbol '{}' must be 1 to 16 bytes",
                self.symbol
            )));
        }
        let mut out = [0u8; 16];
        out[..b.len()].copy_from_slice(b);
        Ok(out)
    }

    /// The `AddMarket` a market of the deploy config describes.
    pub fn add_market_action(&self) -> Result<AdminAction, ConfigError> {
        let source = self.source()?;
        let feed = self.feed_id()?;
        let oracle = match (self.oracle_key()?, source) {
            (Some(k), _) => k,
            (None, cross_margin::state::OracleSource::PythPull) => {
                crate::pda::sponsored_feed(&feed)
            }
            (None, _) => {
                return Err(ConfigError::new(format!(
                    "{}: a legacy market needs its oracle address",
                    self.symbol
                )))
            }
        };
        if source == cross_margin::state::OracleSource::PythPull
            && oracle != crate::pda::sponsored_feed(&feed)
        {
            return Err(ConfigError::new(format!(
                "{}: {oracle} is not the sponsored Pyth feed account of its feed id ({}); the program lists only that one",
                self.symbol,
                crate::pda::sponsored_feed(&feed)
            )));
        }
        Ok(AdminAction::AddMarket {
            symbol: self.symbol_bytes()?,
            oracle,
            oracle_source: source,
            pyth_feed_id: feed,
            tokens_per_contract: self.tokens_per_contract.map_or(1, |u| u.0),
            params: self.params.to_params(),
        })
    }

    pub fn oracle_key(&self) -> Result<Option<Pubkey>, ConfigError> {
        self.oracle
            .as_deref()
            .map(|s| {
                s.parse().map_err(|_| {
                    ConfigError::new(format!("{}: oracle '{s}' is not an address", self.symbol))
                })
            })
            .transpose()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeployConfig {
    /// The collateral mint (a local node creates its own USDC and ignores this).
    #[serde(default)]
    pub collateral_mint: Option<String>,
    pub liquidation_buffer: u32,
    /// The guardian key (default: none).
    #[serde(default)]
    pub guardian: Option<String>,
    /// Delay of queued admin changes (default: the shortest allowed, one day).
    #[serde(default)]
    pub timelock_delay_secs: Option<u32>,
    pub markets: Vec<MarketConfig>,
}

impl DeployConfig {
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        serde_json::from_str(text)
            .map_err(|e| ConfigError::new(format!("config is not valid: {e}")))
    }

    pub fn read(path: &std::path::Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::new(format!("cannot read {}: {e}", path.display())))?;
        Self::parse(&text)
    }
}
