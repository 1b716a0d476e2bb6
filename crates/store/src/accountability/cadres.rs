//! Cadre histories and merges of one person's spellings (R16, R17).

use super::*;
use crate::sql::params;

impl Store {
    /// Where each key ends after the office's merges (a chain of merges is followed).
    async fn merge_map(&self) -> Result<BTreeMap<String, String>> {
        let rows = self.reader.rows("SELECT from_key, into_key FROM cadre_merges", params![]).await?;
        let direct: BTreeMap<String, String> =
            rows.iter().map(|r| Ok((r.get(0)?, r.get(1)?))).collect::<Result<_>>()?;
        Ok(resolve_merges(&direct))
    }

    fn require_cadre_reader(&self, viewer: &User) -> Result<()> {
        self.require_permission(
            viewer,
            Permission::RecordReadCourt,
            "您的角色不查看干部过问情况",
            "your role does not see cadre histories",
        )
    }

    /// Every (merged) cadre named in the store of the viewer's court and the courts below, most
    /// entries first; `repeat_only` keeps those with two entries or more (the repeat-intervener list).
    pub async fn cadres(&self, viewer: &User, repeat_only: bool) -> Result<Vec<CadreSummary>> {
        self.require_cadre_reader(viewer)?;
        let courts = self.courts_under(&viewer.court_id).await?;
        let merges = self.merge_map().await?;
        let mut by_key: BTreeMap<String, (CadreSummary, BTreeSet<String>)> = BTreeMap::new();
        for court in &courts {
            // The copies in record_cadres: a province's entries are read without decoding them.
            let rows = self
                .reader
                .rows(
                    "SELECT cadre_key, occurred_at, name, unit, post FROM record_cadres
                 WHERE court_id = $1 AND role = 'intervener'",
                    params![court],
                )
                .await?;
            for r in rows {
                let key: String = r.get(0)?;
                let key = merges.get(&key).cloned().unwrap_or(key);
                let at = parse_ts(&r.get::<String>(1)?)?;
                let (name, unit, post): (String, String, String) = (r.get(2)?, r.get(3)?, r.get(4)?);
                let entry = by_key.entry(key.clone()).or_insert_with(|| {
                    let summary = CadreSummary {
                        key,
                        name: name.clone(),
                        unit: unit.clone(),
                        post: post.clone(),
                        entries: 0,
                        courts: 0,
                        last_at: at,
                    };
                    (summary, BTreeSet::new())
                });
                entry.0.entries += 1;
                entry.1.insert(court.clone());
                if at >= entry.0.last_at {
                    entry.0.last_at = at;
                    (entry.0.name, entry.0.unit, entry.0.post) = (name, unit, post);
                }
            }
        }
        let mut out: Vec<CadreSummary> = by_key
            .into_values()
            .map(|(mut s, courts)| {
                s.courts = courts.len() as i64;
                s
            })
            .filter(|s| !repeat_only || s.entries >= 2)
            .collect();
        out.sort_by(|a, b| b.entries.cmp(&a.entries).then(b.last_at.cmp(&a.last_at)));
        Ok(out)
    }

    /// Every entry naming the cadre `key` (after merges), across the viewer's courts and years;
    /// the listing is noted in the ledger (查看留痕).
    pub async fn cadre_history(&self, viewer: &User, key: &str, via: &str) -> Result<CadreHistory> {
        self.require_cadre_reader(viewer)?;
        let courts = self.courts_under(&viewer.court_id).await?;
        let merges = self.merge_map().await?;
        let target = merges.get(key).cloned().unwrap_or_else(|| key.to_string());
        let keys: Vec<String> = std::iter::once(target.clone())
            .chain(merges.iter().filter(|(_, to)| **to == target).map(|(from, _)| from.clone()))
            .collect();
        let mut entries = Vec::new();
        for k in &keys {
            let rows = self.reader
                .rows(
                    "SELECT c.role, r.id, r.court_id, r.occurred_at, v.data,
                 (SELECT s.classification FROM screenings s WHERE s.record_id = r.id ORDER BY s.seq DESC LIMIT 1) AS screening
                 FROM record_cadres c JOIN records r ON r.id = c.record_id
                 JOIN record_versions v ON v.record_id = r.id AND v.version = r.version
                 WHERE c.cadre_key = $1",
                    params![k],
                )
            .await?;
            for r in rows {
                let court_id: String = r.get(2)?;
                if !courts.contains(&court_id) {
                    continue;
                }
                let record = crate::records::decode_record(&r.get::<String>(4)?)?;
                let screening: Option<String> = r.get(5)?;
                entries.push(CadreEntry {
                    record_id: uuid_of(&r.get::<String>(1)?)?,
                    court_id,
                    case_number: record.case_number.clone(),
                    occurred_at: parse_ts(&r.get::<String>(3)?)?,
                    name: record.intervener.name.clone(),
                    unit: record.intervener.unit.clone(),
                    post: record.intervener.post.clone(),
                    role: r.get(0)?,
                    form: record.form.code().into(),
                    serious: record.serious,
                    special_items: record.special_items.clone(),
                    screening: screening.as_deref().map(listed).transpose()?,
                });
            }
        }
        if entries.is_empty() {
            return Err(StoreError::not_found("没有这位干部的过问记录", "no entries name this cadre"));
        }
        entries.sort_by_key(|e| e.occurred_at);
        let ids: Vec<Uuid> = entries.iter().map(|e| e.record_id).collect();
        let outcomes = self.outcomes_of(&ids).await?;
        self.note_listed_ids(viewer, ids, via).await?;
        let mut merged = Vec::new();
        for (from, reason) in self
            .reader
            .rows("SELECT from_key, reason FROM cadre_merges ORDER BY seq", params![])
            .await?
            .iter()
            .map(|r| Ok((r.get::<String>(0)?, r.get::<String>(1)?)))
            .collect::<Result<Vec<_>>>()?
        {
            // A spelling merged in by a court above, named only in another court's entries, is
            // not shown here (issue 17).
            if keys.contains(&from) && self.cadre_known_in(&from, &courts).await? {
                merged.push((from, reason));
            }
        }
        Ok(CadreHistory { key: target, merged, entries, outcomes })
    }

    /// Whether `key` names a cadre in an entry of the store of one of `courts` (the caller's court
    /// and the courts below): a cadre named only elsewhere is unknown to the caller, exactly as
    /// one nobody ever wrote of.
    async fn cadre_known_in(&self, key: &str, courts: &BTreeSet<String>) -> Result<bool> {
        let mut query = crate::sql::Builder::new("SELECT 1 FROM record_cadres WHERE cadre_key = ");
        query.push_bind(key.to_string()).push(" AND court_id IN (");
        for (i, court) in courts.iter().enumerate() {
            query.push(if i == 0 { "" } else { ", " }).push_bind(court.clone());
        }
        query.push(") LIMIT 1");
        Ok(!self.reader.rows_of(query).await?.is_empty())
    }

    /// The office confirms that two keys name one cadre (R16). Both keys must be known in the
    /// office's court or the courts below (issue 17): the answer for a key of another court is
    /// the answer for a key that does not exist, so nobody learns where else a cadre was named.
    pub async fn merge_cadres(&self, by: &User, from_key: &str, into_key: &str, reason: &str) -> Result<i64> {
        self.require(by, Permission::RecordScreen, "您的角色不合并干部", "your role does not merge cadres")?;
        let mut problems = Vec::new();
        let (from_key, into_key) = (from_key.trim(), into_key.trim());
        let courts = self.courts_under(&by.court_id).await?;
        let mut known = true;
        for (field, key) in [("from_key", from_key), ("into_key", into_key)] {
            if !self.cadre_known_in(key, &courts).await? {
                known = false;
                problems.push(problem(field, "R16", "unknown", "没有这位干部的记录", "no entries name this cadre"));
            }
        }
        // Only between keys the caller may see does an earlier merge say anything.
        let merges = self.merge_map().await?;
        if from_key == into_key || (known && merges.get(into_key).is_some_and(|k| k == from_key)) {
            problems.push(problem("into_key", "R16", "same", "请选择另一位干部", "choose another cadre"));
        }
        required(&mut problems, "reason", "R16", reason, "请写明确认为同一人的依据", "say why they are one person");
        invalid_if(problems)?;
        self.accountability_step(
            by,
            EventBody::CadresMerged {
                from_key: from_key.into(),
                into_key: into_key.into(),
                reason: reason.trim().into(),
            },
        )
        .await
    }
}

/// Each merged key → the key it ends in, following chains (a → b → c) and stopping at a cycle.
fn resolve_merges(direct: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut resolved = BTreeMap::new();
    for from in direct.keys() {
        let mut to = from.clone();
        let mut seen = BTreeSet::new();
        while let Some(next) = direct.get(&to) {
            if !seen.insert(to.clone()) {
                break;
            }
            to = next.clone();
        }
        resolved.insert(from.clone(), to);
    }
    resolved
}

/// R16 in the quarterly report: each (name, unit) as written in entries of a cadre the office
/// merged → one (name, unit) of the cadre it was merged into, so that the repeat list counts one
/// person. Spellings of one key that differ only in white space map together as well.
pub(crate) fn cadre_aliases(conn: &dyn Db) -> Result<std::collections::HashMap<(String, String), (String, String)>> {
    let direct: BTreeMap<String, String> = conn
        .rows("SELECT from_key, into_key FROM cadre_merges", args![])?
        .iter()
        .map(|r| Ok((r.get(0)?, r.get(1)?)))
        .collect::<Result<_>>()?;
    let resolved = resolve_merges(&direct);
    let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, to) in &resolved {
        groups.entry(to.as_str()).or_default().push(from.as_str());
    }
    let spellings = |key: &str| -> Result<Vec<(String, String)>> {
        let mut pairs: Vec<(String, String)> = conn
            .rows(
                "SELECT DISTINCT r.intervener_name, r.intervener_unit FROM record_cadres c
                 JOIN records r ON r.id = c.record_id WHERE c.cadre_key = $1 AND c.role = 'intervener'",
                args![key],
            )?
            .iter()
            .map(|r| Ok((r.get::<String>(0)?.trim().to_string(), r.get::<String>(1)?.trim().to_string())))
            .collect::<Result<_>>()?;
        pairs.sort();
        Ok(pairs)
    };
    let mut aliases = std::collections::HashMap::new();
    for (target, froms) in groups {
        let own = spellings(target)?;
        let Some(canonical) = own.first().cloned() else { continue };
        for key in froms {
            for pair in spellings(key)? {
                aliases.insert(pair, canonical.clone());
            }
        }
        for pair in own {
            aliases.insert(pair, canonical.clone());
        }
    }
    aliases.retain(|k, v| k != v);
    Ok(aliases)
}
