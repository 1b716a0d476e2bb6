//! Reports from the store, as pure functions over the entries the store hands in (no I/O):
//! the quarterly analysis of leading-cadre entries (R8, S6 ¶1, with the S7 items listed one by one,
//! R11) and where a report and each entry must go (R8, C7, R13).

pub mod chart;
pub mod document;
pub mod export;
pub mod notification;
pub mod quarterly;
pub mod routing;

pub use quarterly::{Earlier, EarlierEntry, HalfYear, Period, Quarter, QuarterlyAnalysis, analyse};
pub use routing::{CourtNode, Routing, RoutingRules, route, route_with};

use liuhen_rules::RecordFacts;
use serde::Serialize;

/// One entry of the store as a report sees it: one that counts in the analysis
/// ([`liuhen_rules::Record::counts_in_analysis`]), by its facts.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: String,
    pub court_id: String,
    pub facts: RecordFacts,
}

/// A count under a label, in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Count {
    pub code: String,
    pub zh: String,
    pub en: String,
    pub count: u64,
}

/// A quarterly report as shown and exported: the court, the analysis and where it goes.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct QuarterlyReport {
    pub court_name: String,
    pub analysis: QuarterlyAnalysis,
    /// Where the report goes, computed from the court hierarchy (R8, C7).
    pub routing: Routing,
}
