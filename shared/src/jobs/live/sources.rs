//! Which of its sources a live job reads, and in what order: `hints.preferred_sources` (and the
//! sources a prompt names or excludes) select among the six Quarry reads, so a user can say
//! "only my lead index" or "web search first, then the index".
//!
//! The planner keeps every source name it was given, in the order given (it also knows names of
//! third-party databases such as LinkedIn or Crunchbase, which Quarry does not read). Here the
//! names are matched against Quarry's own sources: when at least one matches, the job reads only
//! the matching ones, in that order; when none does, it reads all of them in the default order;
//! excluded sources are never read. Names Quarry has no source for are reported back in the
//! job's notes rather than silently dropped.

use quarry_planner::Criteria;

/// A source a live job can read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveSource {
    /// The CSV files and URL lists attached to the thread.
    SeedFiles,
    /// The organization's own lead index (what earlier jobs grounded).
    LeadIndex,
    /// Wikidata (its public SPARQL endpoint), to discover companies.
    Wikidata,
    /// OpenStreetMap (the Overpass API), to discover local businesses.
    OpenStreetMap,
    /// The configured web search provider, to discover companies.
    WebSearch,
    /// The companies' own websites (team, about, contact and legal pages).
    CompanyWebsites,
}

impl LiveSource {
    /// Every source, in the default order.
    pub const ALL: [LiveSource; 6] = [
        LiveSource::SeedFiles,
        LiveSource::LeadIndex,
        LiveSource::Wikidata,
        LiveSource::OpenStreetMap,
        LiveSource::WebSearch,
        LiveSource::CompanyWebsites,
    ];

    /// The name documented for `hints.preferred_sources`.
    pub fn name(self) -> &'static str {
        match self {
            LiveSource::SeedFiles => "seed_files",
            LiveSource::LeadIndex => "lead_index",
            LiveSource::Wikidata => "wikidata",
            LiveSource::OpenStreetMap => "openstreetmap",
            LiveSource::WebSearch => "web_search",
            LiveSource::CompanyWebsites => "company_websites",
        }
    }

    /// The source a name stands for, whatever its case, spacing or punctuation (the planner
    /// folds `lead_index` to `leadindex`), with the short forms people write.
    pub fn from_name(name: &str) -> Option<LiveSource> {
        let folded: String = name.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect();
        match folded.as_str() {
            "seedfiles" | "seedfile" | "seeds" | "seed" | "attachments" | "files" => Some(LiveSource::SeedFiles),
            "leadindex" | "index" | "myleads" | "leads" => Some(LiveSource::LeadIndex),
            "websearch" | "search" | "searxng" | "brave" | "bravesearch" => Some(LiveSource::WebSearch),
            "wikidata" => Some(LiveSource::Wikidata),
            "openstreetmap" | "osm" | "overpass" => Some(LiveSource::OpenStreetMap),
            "companywebsites" | "companywebsite" | "websites" | "website" | "companysites" | "sites" | "web" => {
                Some(LiveSource::CompanyWebsites)
            }
            _ => None,
        }
    }
}

/// The sources one job reads, in order, and the names it was given that Quarry does not read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceOrder {
    order: Vec<LiveSource>,
    unknown: Vec<String>,
    /// Whether the job named the sources it prefers (else the operator's order of the discovery
    /// sources applies).
    chosen: bool,
}

impl Default for SourceOrder {
    fn default() -> Self {
        SourceOrder { order: LiveSource::ALL.to_vec(), unknown: Vec::new(), chosen: false }
    }
}

impl SourceOrder {
    /// The order a plan's criteria ask for (see the module docs).
    pub fn of(criteria: &Criteria) -> SourceOrder {
        let excluded: Vec<LiveSource> = criteria.excluded_sources.iter().filter_map(|n| LiveSource::from_name(n)).collect();
        let mut order = Vec::new();
        let mut unknown = Vec::new();
        for name in &criteria.preferred_sources {
            match LiveSource::from_name(name) {
                Some(source) if !order.contains(&source) && !excluded.contains(&source) => order.push(source),
                Some(_) => {}
                None => unknown.push(name.clone()),
            }
        }
        let chosen = !order.is_empty();
        if order.is_empty() {
            order = LiveSource::ALL.to_vec();
        }
        order.retain(|s| !excluded.contains(s));
        SourceOrder { order, unknown, chosen }
    }

    /// Whether the job reads `source`.
    pub fn reads(&self, source: LiveSource) -> bool {
        self.order.contains(&source)
    }

    /// The discovery sources (index, open data and search), in the order they are read, among
    /// those the operator enables (`enabled`, in the operator's order, see `QUARRY_DISCOVERY_SOURCES`;
    /// the lead index is always enabled): the job's order when it named its sources, else the
    /// index first and then the operator's order.
    pub fn discovery(&self, enabled: &[LiveSource]) -> Vec<LiveSource> {
        let discovers =
            |s: &LiveSource| matches!(s, LiveSource::LeadIndex | LiveSource::Wikidata | LiveSource::OpenStreetMap | LiveSource::WebSearch);
        let allowed = |s: &LiveSource| *s == LiveSource::LeadIndex || enabled.contains(s);
        if self.chosen {
            self.order.iter().copied().filter(discovers).filter(allowed).collect()
        } else {
            std::iter::once(LiveSource::LeadIndex).chain(enabled.iter().copied()).filter(|s| discovers(s) && self.reads(*s)).collect()
        }
    }

    /// What the job's notes say about the choice: names Quarry has no source for, and a
    /// narrowed set of sources. `None` when the job reads everything by default.
    pub fn note(&self) -> Option<String> {
        let narrowed = self.order != LiveSource::ALL;
        if self.unknown.is_empty() && !narrowed {
            return None;
        }
        let mut note = String::new();
        if !self.unknown.is_empty() {
            note.push_str(&format!(
                "Quarry does not read {} (its sources are seed_files, lead_index, wikidata, openstreetmap, web_search and company_websites). ",
                self.unknown.join(", ")
            ));
        }
        let names: Vec<&str> = self.order.iter().map(|s| s.name()).collect();
        if names.is_empty() {
            note.push_str("Every source was excluded, so the job reads none.");
        } else {
            note.push_str(&format!("The job reads {}, in that order.", names.join(", ")));
        }
        Some(note)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn criteria(preferred: &[&str], excluded: &[&str]) -> Criteria {
        Criteria {
            preferred_sources: preferred.iter().map(|s| s.to_string()).collect(),
            excluded_sources: excluded.iter().map(|s| s.to_string()).collect(),
            ..Criteria::default()
        }
    }

    #[test]
    fn preferred_sources_select_and_order_what_a_job_reads() {
        let default = SourceOrder::of(&criteria(&[], &[]));
        assert_eq!(default, SourceOrder::default());
        assert_eq!(default.note(), None);

        let chosen = SourceOrder::of(&criteria(&["websearch", "leadindex", "linkedin"], &[]));
        let enabled = [LiveSource::Wikidata, LiveSource::OpenStreetMap, LiveSource::WebSearch];
        assert_eq!(chosen.discovery(&enabled), [LiveSource::WebSearch, LiveSource::LeadIndex]);
        assert!(!chosen.reads(LiveSource::CompanyWebsites) && !chosen.reads(LiveSource::SeedFiles));
        let note = chosen.note().unwrap();
        assert!(note.starts_with("Quarry does not read linkedin"), "{note}");
        assert!(note.ends_with("The job reads web_search, lead_index, in that order."), "{note}");

        // Only names Quarry does not read: everything, and the names said back.
        let unknown = SourceOrder::of(&criteria(&["crunchbase"], &[]));
        assert!(LiveSource::ALL.iter().all(|s| unknown.reads(*s)));
        assert!(unknown.note().unwrap().contains("crunchbase"));

        // Excluded wins.
        let excluded = SourceOrder::of(&criteria(&[], &["search"]));
        assert_eq!(excluded.discovery(&enabled), [LiveSource::LeadIndex, LiveSource::Wikidata, LiveSource::OpenStreetMap]);
        assert!(excluded.reads(LiveSource::CompanyWebsites));
    }

    #[test]
    fn the_operator_enables_and_orders_the_discovery_sources() {
        let by_default = SourceOrder::of(&criteria(&[], &[]));
        assert_eq!(
            by_default.discovery(&[LiveSource::OpenStreetMap, LiveSource::Wikidata]),
            [LiveSource::LeadIndex, LiveSource::OpenStreetMap, LiveSource::Wikidata]
        );
        assert_eq!(by_default.discovery(&[]), [LiveSource::LeadIndex], "QUARRY_DISCOVERY_SOURCES=none");
        let osm_only = SourceOrder::of(&criteria(&["osm"], &["wikidata"]));
        assert_eq!(osm_only.discovery(&[LiveSource::Wikidata, LiveSource::OpenStreetMap]), [LiveSource::OpenStreetMap]);
        assert_eq!(osm_only.discovery(&[LiveSource::Wikidata]), Vec::<LiveSource>::new(), "the operator turned it off");
        let no_wikidata = SourceOrder::of(&criteria(&[], &["Wikidata"]));
        assert_eq!(no_wikidata.discovery(&[LiveSource::Wikidata, LiveSource::WebSearch]), [LiveSource::LeadIndex, LiveSource::WebSearch]);
    }
}
