//! Reading records: one record with its versions, materials, co-signatures and views; filtered
//! lists and counts; the co-signature inbox; a material. Every read of contents is a ledger event.

use super::*;
use crate::sql::params;

impl Store {
    /// A record with its versions, co-signatures and materials, if `viewer` may see it. The read
    /// is noted in the ledger (查看留痕) before the record is returned; `via` says through what
    /// (`api`, `page`).
    pub async fn record(&self, viewer: &User, id: Uuid, via: &str) -> Result<RecordView> {
        let (row, recorder) = self.readable_record(viewer, id).await?;
        let show_recorder = self.sees_recorder(viewer, &recorder);
        let sid = id.to_string();
        let record = decode_record(&row.get::<String>("data")?)?;
        let case = record.case_number.as_deref().and_then(|c| parse_recorded_case_number(c).ok());
        let versions = self
            .reader
            .rows("SELECT * FROM record_versions WHERE record_id = $1 ORDER BY version", params![&sid])
            .await?;
        let versions = versions
            .iter()
            .map(|v| {
                Ok(VersionView {
                    version: u32_of(v.get("version")?),
                    actor: show_recorder.then(|| v.get("actor")).transpose()?,
                    at: parse_ts(&v.get::<String>("at")?)?,
                    reason: v.get("reason")?,
                    seq: v.get("seq")?,
                    record: decode_record(&v.get::<String>("data")?)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let cosignatures = self
            .reader
            .rows("SELECT * FROM cosignatures WHERE record_id = $1 ORDER BY version, signer", params![&sid])
            .await?;
        let cosignatures = cosignatures
            .iter()
            .map(|c| {
                let state: String = c.get("state")?;
                Ok(CosignatureView {
                    version: u32_of(c.get("version")?),
                    signer: c.get("signer")?,
                    state: CosignState::from_code(&state)
                        .ok_or_else(|| StoreError::Internal(format!("state {state}")))?,
                    reason: c.get("reason")?,
                    at: c.get::<Option<String>>("at")?.as_deref().map(parse_ts).transpose()?,
                    seq: c.get("seq")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let materials =
            self.reader.rows("SELECT * FROM materials WHERE record_id = $1 ORDER BY seq", params![&sid]).await?;
        let mut materials = materials.iter().map(material_view).collect::<Result<Vec<_>>>()?;
        if !show_recorder {
            materials.iter_mut().for_each(|m| m.added_by = None);
        }
        self.note_view(
            viewer,
            EventBody::RecordViewed { record_id: id, part: "record".into(), material_id: None, via: via.into() },
        )
        .await?;
        Ok(RecordView {
            id,
            court_id: row.get("court_id")?,
            recorder: show_recorder.then_some(recorder),
            version: u32_of(row.get("version")?),
            created_at: parse_ts(&row.get::<String>("created_at")?)?,
            updated_at: parse_ts(&row.get::<String>("updated_at")?)?,
            channel: row.get("channel")?,
            external_id: row.get("external_id")?,
            record,
            case,
            cosign_status: row.get("cosign_status")?,
            cosignatures,
            versions,
            materials,
            ledger: LedgerPosition { created_seq: row.get("created_seq")?, last_seq: row.get("last_seq")? },
        })
    }

    /// Records of the viewer's court matching `filter`, newest inquiry first.
    /// Its lines name interveners, so the records listed are noted in the ledger (查看留痕).
    /// The records `viewer` may read that match `filter`, as a query beginning with `select`.
    fn filtered(&self, viewer: &User, scope: ReadScope, filter: &RecordFilter, select: &str) -> crate::sql::Builder {
        let mut q = crate::sql::Builder::new(select);
        q.push(" FROM records WHERE court_id = ").push_bind(viewer.court_id.clone());
        q.push(" AND register = ").push_bind(filter.register.unwrap_or(Register::Store).code());
        if scope == ReadScope::Own {
            q.push(" AND (recorder = ")
                .push_bind(viewer.username.clone())
                .push(" OR id IN (SELECT record_id FROM cosignatures WHERE signer = ")
                .push_bind(viewer.username.clone())
                .push("))");
        }
        if let Some(from) = filter.from {
            q.push(" AND occurred_at >= ").push_bind(ts(from));
        }
        if let Some(to) = filter.to {
            q.push(" AND occurred_at < ").push_bind(ts(to));
        }
        if let Some(form) = filter.form {
            q.push(" AND form = ").push_bind(form.code());
        }
        if let Some(item) = filter.special_item {
            q.push(" AND id IN (SELECT record_id FROM record_special_items WHERE item = ")
                .push_bind(i64::from(item))
                .push(")");
        }
        if let Some(case) = &filter.case_number {
            let normalised = parse_case_number_with(case, &self.config.policy.extra_regions)
                .map(|c| c.text)
                .unwrap_or_else(|_| case.trim().to_string());
            q.push(" AND case_number = ").push_bind(normalised);
        }
        if let Some(who) = filter.intervener.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
            let pattern = format!("%{}%", who.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
            q.push(" AND (intervener_name LIKE ")
                .push_bind(pattern.clone())
                .push(" ESCAPE '\\' OR intervener_unit LIKE ")
                .push_bind(pattern)
                .push(" ESCAPE '\\')");
        }
        if let Some(text) = filter.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            // Each word (split at spaces) must appear in the record's current text; the trigram
            // index serves words of three or more characters, shorter ones scan the index's text.
            for word in text.split_whitespace().take(8) {
                // No ESCAPE clause (the index would not serve it): the wildcards are dropped instead.
                let word: String = word.chars().filter(|c| !matches!(c, '%' | '_')).collect();
                if word.is_empty() {
                    continue;
                }
                q.push(" AND id IN (SELECT record_id FROM record_search WHERE body LIKE ")
                    .push_bind(format!("%{word}%"))
                    .push(")");
            }
        }
        if let Some(any) = filter.any_special_item {
            q.push(if any { " AND special_items <> ''" } else { " AND special_items = ''" });
        }
        if let Some(recorder) = &filter.recorder {
            q.push(" AND recorder = ").push_bind(recorder.clone());
        }
        if let Some(serious) = filter.serious {
            q.push(" AND serious = ").push_bind(i64::from(serious));
        }
        q
    }

    /// How many co-signatures wait for `viewer`, and how many of them longer than
    /// `cosign_overdue_days` (numbers for the desk; nothing is read).
    pub async fn pending_cosignatures(&self, viewer: &User) -> Result<(i64, i64)> {
        let cutoff = crate::now() - time::Duration::days(self.config.policy.cosign_overdue_days);
        let row = self
            .reader
            .one(
                "SELECT COUNT(*), COALESCE(SUM(CASE WHEN v.at < $1 THEN 1 ELSE 0 END), 0) FROM records r
             JOIN cosignatures c ON c.record_id = r.id AND c.version = r.version
             JOIN record_versions v ON v.record_id = r.id AND v.version = r.version
             WHERE c.signer = $2 AND c.state = 'pending' AND r.court_id = $3",
                params![ts(cutoff), &viewer.username, &viewer.court_id],
            )
            .await?;
        Ok((row.get(0)?, row.get(1)?))
    }

    /// S9: a filter on the recorder would tell someone who may not see recorders who recorded a
    /// record they can read (a colleague named present, a leader): through the count, the list,
    /// the page or the CSV. Refused unless they may see recorders, or name themselves (their own
    /// records: nothing to learn).
    fn check_filter_discloses_nothing(&self, viewer: &User, filter: &RecordFilter) -> Result<()> {
        match filter.recorder.as_deref() {
            Some(who) if who != viewer.username && !self.permits(viewer, Permission::RecordSeeRecorder) => {
                Err(StoreError::invalid(Problem::new(
                    "recorder",
                    "S9",
                    "not_permitted",
                    "您的角色不能按录入人筛选：录入人只向需要的角色显示（可以只看自己录入的记录）",
                    "your role may not filter by recorder: who recorded is shown only to the roles that need it (you may filter by your own name)",
                )))
            }
            _ => Ok(()),
        }
    }

    /// How many records match, without reading any (numbers for the desk; no view is logged).
    pub async fn count_records(&self, viewer: &User, filter: &RecordFilter) -> Result<i64> {
        let scope = self.read_scope(viewer)?;
        self.check_filter_discloses_nothing(viewer, filter)?;
        self.reader.one_of(self.filtered(viewer, scope, filter, "SELECT COUNT(*)")).await?.get(0)
    }

    pub async fn list_records(&self, viewer: &User, filter: &RecordFilter, via: &str) -> Result<Page<RecordSummary>> {
        let scope = self.read_scope(viewer)?;
        self.check_filter_discloses_nothing(viewer, filter)?;
        if let Some(court) = &filter.court_id
            && court != &viewer.court_id
        {
            return Err(StoreError::forbidden("只能查看本院的记录", "you can see your own court's records only"));
        }
        let per_page = filter.per_page.clamp(1, 200);
        let page = filter.page.max(1);
        let total: i64 = self.reader.one_of(self.filtered(viewer, scope, filter, "SELECT COUNT(*)")).await?.get(0)?;
        let mut q = self.filtered(viewer, scope, filter, "SELECT *");
        q.push(filter.sort.order_by())
            .push(" LIMIT ")
            .push_bind(i64::from(per_page))
            .push(" OFFSET ")
            // In 64 bits: a page number near u32::MAX times 200 overflowed 32 (issue 17).
            .push_bind(i64::from(page - 1) * i64::from(per_page));
        let rows = self.reader.rows_of(q).await?;
        let items = rows.iter().map(|r| self.summary_for(viewer, r)).collect::<Result<Vec<_>>>()?;
        self.note_listed(viewer, &items, via).await?;
        Ok(Page { items, total, page, per_page })
    }

    /// The co-signature inbox: records whose current version waits for `viewer` (R4).
    pub async fn cosign_inbox(&self, viewer: &User, via: &str) -> Result<Vec<RecordSummary>> {
        if !self.permits(viewer, Permission::RecordCosign) {
            return Err(StoreError::forbidden("你的角色不签字确认过问记录", "your role does not co-sign records"));
        }
        let rows = self
            .reader
            .rows(
                "SELECT r.* FROM records r JOIN cosignatures c ON c.record_id = r.id AND c.version = r.version
             WHERE c.signer = $1 AND c.state = 'pending' AND r.court_id = $2 ORDER BY r.created_at",
                params![&viewer.username, &viewer.court_id],
            )
            .await?;
        let items = rows.iter().map(|r| self.summary_for(viewer, r)).collect::<Result<Vec<_>>>()?;
        self.note_listed(viewer, &items, via).await?;
        Ok(items)
    }

    /// A material's description, if `viewer` may see its record. Reading it is noted in the ledger
    /// (查看留痕) before this returns: call it only to hand the material over.
    pub async fn material(&self, viewer: &User, material_id: Uuid, via: &str) -> Result<(Uuid, MaterialView)> {
        self.read_scope(viewer)?;
        let row = self
            .reader
            .row(
                "SELECT m.* FROM materials m JOIN records r ON r.id = m.record_id WHERE m.id = $1 AND r.court_id = $2",
                params![material_id.to_string(), &viewer.court_id],
            )
            .await?
            .ok_or_else(|| {
                StoreError::not_found(
                    "材料不存在，或不在你可以查看的范围内",
                    "no such material, or not one you may see",
                )
            })?;
        let record_id: Uuid =
            row.get::<String>("record_id")?.parse().map_err(|e| StoreError::Internal(format!("{e}")))?;
        // The material is readable exactly when its record is.
        let (_, recorder) = self.readable_record(viewer, record_id).await.map_err(|e| match e {
            StoreError::NotFound { .. } => StoreError::not_found(
                "材料不存在，或不在你可以查看的范围内",
                "no such material, or not one you may see",
            ),
            other => other,
        })?;
        let mut view = material_view(&row)?;
        if !self.sees_recorder(viewer, &recorder) {
            view.added_by = None;
        }
        self.note_view(
            viewer,
            EventBody::RecordViewed {
                record_id,
                part: "material".into(),
                material_id: Some(material_id),
                via: via.into(),
            },
        )
        .await?;
        Ok((record_id, view))
    }

    async fn note_listed(&self, viewer: &User, items: &[RecordSummary], via: &str) -> Result<()> {
        self.note_listed_ids(viewer, items.iter().map(|r| r.id).collect(), via).await
    }

    /// Record that `viewer` was shown the entries `ids` (查看留痕). A ledger entry holds at most
    /// 64 KiB, so a long list — a province's quarter — is written as several `records_listed`
    /// entries of at most `LISTED_PER_EVENT` ids, submitted together so that they share a commit.
    pub(crate) async fn note_listed_ids(&self, viewer: &User, ids: Vec<Uuid>, via: &str) -> Result<()> {
        const LISTED_PER_EVENT: usize = 1_000;
        if ids.is_empty() {
            // Looking and finding nothing is on the record too: every read leaves its trace.
            self.note_view(viewer, EventBody::RecordsListed { record_ids: Vec::new(), via: via.into() }).await?;
            return Ok(());
        }
        let events = ids.chunks(LISTED_PER_EVENT).map(|chunk| {
            self.note_view(viewer, EventBody::RecordsListed { record_ids: chunk.to_vec(), via: via.into() })
        });
        futures::future::try_join_all(events).await?;
        Ok(())
    }

    /// Who has read a record (查看留痕, S9): for its recorder, and for roles granted
    /// `record.views` that may read it. Oldest first.
    pub async fn record_views(&self, viewer: &User, id: Uuid) -> Result<Vec<ViewEntry>> {
        let scope = self.read_scope(viewer)?;
        let recorder: Option<String> = self
            .reader
            .row(
                "SELECT recorder FROM records WHERE id = $1 AND court_id = $2",
                params![id.to_string(), &viewer.court_id],
            )
            .await?
            .map(|r| r.get(0))
            .transpose()?;
        let allowed = match recorder {
            Some(r) if r == viewer.username => true,
            Some(_) => scope == ReadScope::Court && self.permits(viewer, Permission::RecordViews),
            None => false,
        };
        if !allowed {
            return Err(not_found());
        }
        let rows = self
            .reader
            .rows("SELECT * FROM record_views WHERE record_id = $1 ORDER BY seq", params![id.to_string()])
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ViewEntry {
                    viewer: r.get("viewer")?,
                    at: parse_ts(&r.get::<String>("at")?)?,
                    part: r.get("part")?,
                    material_id: r
                        .get::<Option<String>>("material_id")?
                        .map(|m| m.parse())
                        .transpose()
                        .map_err(|e| StoreError::Internal(format!("{e}")))?,
                    via: r.get("via")?,
                    seq: r.get("seq")?,
                })
            })
            .collect()
    }

    pub fn material_store(&self) -> &MaterialStore {
        &self.materials
    }
}

fn material_view(m: &crate::sql::Row) -> Result<MaterialView> {
    let category: String = m.get("category")?;
    let disposition: String = m.get("disposition")?;
    let id: String = m.get("id")?;
    Ok(MaterialView {
        id: id.parse().map_err(|e| StoreError::Internal(format!("{e}")))?,
        sha256: m.get("sha256")?,
        size: u64::try_from(m.get::<i64>("size")?).unwrap_or(0),
        category: MaterialCategory::from_code(&category).ok_or_else(|| StoreError::Internal(category.clone()))?,
        file_name: m.get("file_name")?,
        media_type: m.get("media_type")?,
        disposition: Disposition::from_code(&disposition).ok_or_else(|| StoreError::Internal(disposition.clone()))?,
        whereabouts: m.get("whereabouts")?,
        added_by: Some(m.get("added_by")?),
        added_at: parse_ts(&m.get::<String>("added_at")?)?,
        seq: m.get("seq")?,
    })
}

impl Store {
    /// A list line, with the recorder hidden unless `viewer` may see it.
    fn summary_for(&self, viewer: &User, r: &crate::sql::Row) -> Result<RecordSummary> {
        let mut line = summary(r)?;
        if line.recorder.as_deref().is_some_and(|who| !self.sees_recorder(viewer, who)) {
            line.recorder = None;
        }
        Ok(line)
    }
}

fn summary(r: &crate::sql::Row) -> Result<RecordSummary> {
    let id: String = r.get("id")?;
    let register: String = r.get("register")?;
    let form: String = r.get("form")?;
    let items: String = r.get("special_items")?;
    Ok(RecordSummary {
        id: id.parse().map_err(|e| StoreError::Internal(format!("{e}")))?,
        court_id: r.get("court_id")?,
        recorder: Some(r.get("recorder")?),
        register: Register::from_code(&register).ok_or_else(|| StoreError::Internal(register.clone()))?,
        version: u32_of(r.get("version")?),
        created_at: parse_ts(&r.get::<String>("created_at")?)?,
        occurred_at: parse_ts(&r.get::<String>("occurred_at")?)?,
        case_number: r.get("case_number")?,
        stage: r.get("stage")?,
        form: Form::from_code(&form).ok_or_else(|| StoreError::Internal(form.clone()))?,
        intervener_name: r.get("intervener_name")?,
        intervener_unit: r.get("intervener_unit")?,
        unit_type: r.get("unit_type")?,
        leading_cadre: r.get::<bool>("leading_cadre")?,
        serious: r.get::<bool>("serious")?,
        special_items: items.split(',').filter_map(|s| s.parse().ok()).collect(),
        cosign_status: r.get("cosign_status")?,
    })
}
