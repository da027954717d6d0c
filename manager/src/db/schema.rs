//! The database tables, as `diesel print-schema` prints them for the migrations in `migrations/`.

// @generated automatically by Diesel CLI.

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

diesel::joinable!(host_groups -> groups (group_id));
diesel::joinable!(host_groups -> hosts (host_id));
diesel::joinable!(login_challenges -> users (user_id));
diesel::joinable!(recovery_codes -> users (user_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(totp_factors -> users (user_id));
diesel::joinable!(user_groups -> groups (group_id));
diesel::joinable!(user_groups -> users (user_id));
diesel::joinable!(webauthn_credentials -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    audit_checkpoints,
    audit_log,
    groups,
    host_groups,
    hosts,
    login_challenges,
    recovery_codes,
    refresh_tokens,
    sessions,
    signing_keys,
    totp_factors,
    user_groups,
    users,
    webauthn_credentials,
);
