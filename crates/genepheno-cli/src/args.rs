//! Command-line values of the shared domain types: the label set a command works on is parsed
//! into a [`LabelSet`] where clap reads it, so `--help` lists the names and a misspelt one is
//! refused before anything runs.

use clap::builder::{PossibleValuesParser, TypedValueParser};
use genepheno::domain::LabelSet;

/// Parses `hpo`, `mp` or `gwas` (`--dataset`).
pub fn label_set() -> impl TypedValueParser<Value = LabelSet> {
    PossibleValuesParser::new(LabelSet::ALL.map(LabelSet::name))
        .map(|name| name.parse::<LabelSet>().expect("the possible values are the label sets' names"))
}
