//! Domain words shared by the trainer, the CLI, the worker, the page and the messages between
//! them: which label set a model predicts, and which part of the split a gene was in. As types,
//! so that a misspelt `"hmp"` is refused where it is read (a command line, a file, a link)
//! instead of travelling as a string until something fails to find its model.
//!
//! Both are written as their lowercase names (`hpo`, `mp`, `gwas`; `train`, `valid`, `test`) in
//! JSON, file headers and command lines, as they always were.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The label sets a model is trained on and predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LabelSet {
    /// Human Phenotype Ontology, "Phenotypic abnormality" subtree, closed upward (a DAG).
    Hpo,
    /// Mammalian Phenotype level-4 terms of mouse knockouts, mapped to human orthologs (flat).
    /// Licence CC BY-NC-SA 4.0: non-commercial use only.
    Mp,
    /// dbGaP trait gene sets (flat): the GWAS-like task.
    Gwas,
}

impl LabelSet {
    pub const ALL: [LabelSet; 3] = [LabelSet::Hpo, LabelSet::Mp, LabelSet::Gwas];

    /// The name in files, folders (`data/hpo/`, `public/models/hpo.json`) and command lines.
    pub fn name(self) -> &'static str {
        match self {
            LabelSet::Hpo => "hpo",
            LabelSet::Mp => "mp",
            LabelSet::Gwas => "gwas",
        }
    }

    /// The name in tables and documents.
    pub fn title(self) -> &'static str {
        match self {
            LabelSet::Hpo => "HPO",
            LabelSet::Mp => "MP",
            LabelSet::Gwas => "GWAS-like (dbGaP)",
        }
    }

    /// Whether the labels form a graph (only HPO; MP and dbGaP ship without one).
    pub fn has_graph(self) -> bool {
        self == LabelSet::Hpo
    }
}

impl fmt::Display for LabelSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not one of the label sets, with the names that are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown label set {0:?}: use hpo, mp or gwas")]
pub struct UnknownLabelSet(pub String);

impl FromStr for LabelSet {
    type Err = UnknownLabelSet;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LabelSet::ALL.into_iter().find(|set| set.name() == s).ok_or_else(|| UnknownLabelSet(s.to_string()))
    }
}

/// Train, validation or test: the parts of a split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    /// The model was trained on these genes' labels: its prediction is not a fair test.
    Train,
    /// Used to choose the model (epoch, threshold), not for gradient steps.
    Valid,
    /// Held out: the model never saw these genes or a homologue at >= 50 % identity.
    Test,
}

impl Part {
    pub const ALL: [Part; 3] = [Part::Train, Part::Valid, Part::Test];

    /// The name in files (`train`, `valid`, `test`).
    pub fn name(self) -> &'static str {
        match self {
            Part::Train => "train",
            Part::Valid => "valid",
            Part::Test => "test",
        }
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not a part of a split.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown split part {0:?}: use train, valid or test")]
pub struct UnknownPart(pub String);

impl FromStr for Part {
    type Err = UnknownPart;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Part::ALL.into_iter().find(|part| part.name() == s).ok_or_else(|| UnknownPart(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_as_the_same_word_in_text_and_json() {
        for set in LabelSet::ALL {
            assert_eq!(set.name().parse::<LabelSet>(), Ok(set));
            assert_eq!(serde_json::to_string(&set).unwrap(), format!("\"{set}\""));
            assert_eq!(serde_json::from_str::<LabelSet>(&format!("\"{}\"", set.name())).unwrap(), set);
        }
        for part in Part::ALL {
            assert_eq!(part.name().parse::<Part>(), Ok(part));
            assert_eq!(serde_json::to_string(&part).unwrap(), format!("\"{part}\""));
        }
    }

    #[test]
    fn an_unknown_name_is_refused_with_the_names_to_use() {
        let err = "HPO".parse::<LabelSet>().unwrap_err();
        assert_eq!(err.to_string(), "unknown label set \"HPO\": use hpo, mp or gwas");
        assert!("hmp".parse::<LabelSet>().is_err());
        assert!(serde_json::from_str::<LabelSet>("\"go\"").is_err());
        assert_eq!("training".parse::<Part>().unwrap_err().to_string(), "unknown split part \"training\": use train, valid or test");
    }
}
