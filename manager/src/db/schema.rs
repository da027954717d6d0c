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
    }
}

diesel::joinable!(user_groups -> groups (group_id));
diesel::joinable!(user_groups -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(audit_checkpoints, audit_log, groups, user_groups, users,);
