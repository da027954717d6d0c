//! The database tables, as `diesel print-schema` prints them for the migrations in `migrations/`.

// @generated automatically by Diesel CLI.

diesel::table! {
    api_tokens (id) {
        id -> Int8,
        user_id -> Int8,
        name -> Text,
        prefix -> Text,
        token_hash -> Text,
        read_only -> Bool,
        created_by -> Text,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
        last_used_ip -> Nullable<Text>,
        revoked_at -> Nullable<Timestamptz>,
        revoked_by -> Nullable<Text>,
    }
}

diesel::table! {
    audit_checkpoints (id) {
        id -> Int8,
        created_at -> Timestamptz,
        last_pruned_id -> Int8,
        last_pruned_hash -> Text,
        pruned_rows -> Int8,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Int8,
        at -> Timestamptz,
        actor -> Text,
        action -> Text,
        target -> Text,
        details -> Jsonb,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    groups (id) {
        id -> Int8,
        name -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    host_groups (host_id, group_id) {
        host_id -> Int8,
        group_id -> Int8,
    }
}

diesel::table! {
    hosts (id) {
        id -> Int8,
        hostname -> Text,
        ip -> Text,
        os -> Text,
        created_at -> Timestamptz,
        port -> Int4,
        machine_id -> Text,
        kernel -> Text,
        agent_version -> Text,
        backend -> Text,
        state -> Text,
        state_reason -> Text,
        last_seen_at -> Nullable<Timestamptz>,
        health_checked_at -> Nullable<Timestamptz>,
        patches_checked_at -> Nullable<Timestamptz>,
        failures -> Int4,
        retry_at -> Nullable<Timestamptz>,
        pending_total -> Int4,
        pending_security -> Int4,
        reboot_required -> Text,
        reboot_reason -> Text,
    }
}

diesel::table! {
    host_health (id) {
        id -> Int8,
        host_id -> Int8,
        checked_at -> Timestamptz,
        state -> Text,
        reason -> Text,
        latency_ms -> Nullable<Int4>,
    }
}

diesel::table! {
    host_patches (host_id, name, architecture) {
        host_id -> Int8,
        name -> Text,
        architecture -> Text,
        installed_version -> Nullable<Text>,
        candidate_version -> Text,
        repository -> Text,
        security -> Bool,
        severity -> Nullable<Text>,
        cves -> Jsonb,
        security_source -> Text,
    }
}

diesel::table! {
    certificates (id) {
        id -> Int8,
        serial -> Text,
        kind -> Text,
        subject -> Text,
        sans -> Text,
        host_id -> Nullable<Int8>,
        cert_pem -> Text,
        key_file -> Text,
        not_before -> Timestamptz,
        not_after -> Timestamptz,
        created_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
        revoke_reason -> Nullable<Text>,
        superseded_by -> Nullable<Int8>,
        fingerprint -> Nullable<Text>,
    }
}

diesel::table! {
    deployment_targets (id) {
        id -> Int8,
        deployment_id -> Int8,
        host_id -> Nullable<Int8>,
        hostname -> Text,
        state -> Text,
        attempts -> Int4,
        dispatch_failures -> Int4,
        due_at -> Nullable<Timestamptz>,
        dispatch_until -> Nullable<Timestamptz>,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamptz>,
        agent_job_id -> Nullable<Text>,
        agent_status -> Text,
        error -> Text,
        change_set -> Nullable<Jsonb>,
        output_tail -> Jsonb,
        rollback_job_id -> Nullable<Text>,
        started_at -> Nullable<Timestamptz>,
        finished_at -> Nullable<Timestamptz>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    deployments (id) {
        id -> Int8,
        created_by -> Text,
        created_at -> Timestamptz,
        operation -> Text,
        packages -> Jsonb,
        rollback_of -> Nullable<Int8>,
        mode -> Text,
        reboot -> Text,
        stop_failed_pct -> Nullable<Int4>,
        status -> Text,
        group_ids -> Jsonb,
        finished_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    compliance_snapshots (day, host_id) {
        day -> Date,
        host_id -> Int8,
        state -> Text,
        pending_security -> Int4,
    }
}

diesel::table! {
    patch_first_seen (host_id, name, architecture, candidate_version) {
        host_id -> Int8,
        name -> Text,
        architecture -> Text,
        candidate_version -> Text,
        first_seen_at -> Timestamptz,
    }
}

diesel::table! {
    discovery_ranges (id) {
        id -> Int8,
        cidr -> Text,
        created_by -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    enrollments (id) {
        id -> Int8,
        token_hash -> Text,
        machine_id -> Text,
        fqdn -> Text,
        ip -> Text,
        os -> Text,
        agent_port -> Int4,
        source_ip -> Text,
        status -> Text,
        created_at -> Timestamptz,
        last_polled_at -> Timestamptz,
        decided_at -> Nullable<Timestamptz>,
        decided_by -> Nullable<Text>,
        host_id -> Nullable<Int8>,
        certificate_id -> Nullable<Int8>,
        delivered_at -> Nullable<Timestamptz>,
        csr_pem -> Text,
        key_fingerprint -> Text,
    }
}

diesel::table! {
    login_challenges (token_hash) {
        token_hash -> Text,
        user_id -> Int8,
        csrf_token -> Text,
        created_at -> Timestamptz,
        ceremony -> Nullable<Jsonb>,
    }
}

diesel::table! {
    maintenance_windows (id) {
        id -> Int8,
        host_id -> Int8,
        name -> Text,
        spec -> Jsonb,
        created_by -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    reauth_challenges (session_id) {
        session_id -> Text,
        ceremony -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> Int8,
        user_id -> Int8,
        code_hash -> Text,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Text,
        session_id -> Text,
        issued_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    service_accounts (user_id) {
        user_id -> Int8,
        description -> Text,
        created_by -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Int8,
        csrf_token -> Text,
        created_at -> Timestamptz,
        last_refresh_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
        revoked_reason -> Nullable<Text>,
        source_ip -> Text,
        user_agent -> Text,
    }
}

diesel::table! {
    signing_keys (kid) {
        kid -> Text,
        private_pem -> Text,
        public_pem -> Text,
        created_at -> Timestamptz,
        sign_until -> Timestamptz,
        verify_until -> Timestamptz,
    }
}

diesel::table! {
    sso_identities (tid, oid) {
        tid -> Text,
        oid -> Text,
        user_id -> Int8,
        created_at -> Timestamptz,
        last_login_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    sso_logins (state_hash) {
        state_hash -> Text,
        nonce -> Text,
        pkce_verifier -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    sso_settings (id) {
        id -> Int4,
        enabled -> Bool,
        tenant_id -> Text,
        client_id -> Text,
        client_secret -> Text,
        scopes -> Text,
        role_source -> Text,
        group_map -> Jsonb,
        updated_by -> Text,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    totp_factors (id) {
        id -> Int8,
        user_id -> Int8,
        secret -> Text,
        last_used_step -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    user_groups (user_id, group_id) {
        user_id -> Int8,
        group_id -> Int8,
    }
}

diesel::table! {
    users (id) {
        id -> Int8,
        username -> Text,
        password_hash -> Text,
        role -> Text,
        must_change_password -> Bool,
        disabled -> Bool,
        created_at -> Timestamptz,
        theme -> Text,
        failed_logins -> Int4,
        locked_until -> Nullable<Timestamptz>,
        last_login_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    webauthn_credentials (id) {
        id -> Int8,
        user_id -> Int8,
        name -> Text,
        credential_id -> Text,
        passkey -> Jsonb,
        created_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    scheduled_emails (name) {
        name -> Text,
        period -> Text,
        queued_at -> Timestamptz,
    }
}

diesel::table! {
    runtime_settings (id) {
        id -> Int4,
        doc -> Jsonb,
        updated_at -> Timestamptz,
        updated_by -> Text,
    }
}

diesel::table! {
    notification_prefs (user_id) {
        user_id -> Int8,
        email -> Text,
        events -> Jsonb,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    notification_outbox (id) {
        id -> Int8,
        event -> Text,
        recipients -> Jsonb,
        subject -> Text,
        body -> Text,
        created_at -> Timestamptz,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
        last_error -> Text,
        leased_until -> Nullable<Timestamptz>,
        leased_by -> Text,
        attachment_name -> Nullable<Text>,
        attachment -> Nullable<Bytea>,
    }
}

diesel::joinable!(host_groups -> groups (group_id));
diesel::joinable!(host_groups -> hosts (host_id));
diesel::joinable!(host_health -> hosts (host_id));
diesel::joinable!(host_patches -> hosts (host_id));
diesel::joinable!(certificates -> hosts (host_id));
diesel::joinable!(deployment_targets -> deployments (deployment_id));
diesel::joinable!(deployment_targets -> hosts (host_id));
diesel::joinable!(enrollments -> hosts (host_id));
diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(login_challenges -> users (user_id));
diesel::joinable!(maintenance_windows -> hosts (host_id));
diesel::joinable!(patch_first_seen -> hosts (host_id));
diesel::joinable!(recovery_codes -> users (user_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));
diesel::joinable!(service_accounts -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(sso_identities -> users (user_id));
diesel::joinable!(totp_factors -> users (user_id));
diesel::joinable!(user_groups -> groups (group_id));
diesel::joinable!(user_groups -> users (user_id));
diesel::joinable!(webauthn_credentials -> users (user_id));
diesel::joinable!(notification_prefs -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    api_tokens,
    audit_checkpoints,
    audit_log,
    certificates,
    compliance_snapshots,
    deployment_targets,
    deployments,
    discovery_ranges,
    enrollments,
    groups,
    host_groups,
    host_health,
    host_patches,
    hosts,
    login_challenges,
    maintenance_windows,
    notification_outbox,
    notification_prefs,
    patch_first_seen,
    reauth_challenges,
    recovery_codes,
    refresh_tokens,
    runtime_settings,
    scheduled_emails,
    service_accounts,
    sessions,
    signing_keys,
    sso_identities,
    sso_logins,
    sso_settings,
    totp_factors,
    user_groups,
    users,
    webauthn_credentials,
);
