// @generated automatically by Diesel CLI.

diesel::table! {
    departments (id) {
        id -> BigInt,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    departments_history (history_id) {
        history_id -> BigInt,
        id -> BigInt,
        name -> Text,
        created_at -> Timestamp,
        history_operation -> Text,
        history_at -> Timestamp,
        history_user -> Nullable<Text>,
        history_database_user -> Nullable<Text>,
    }
}

diesel::table! {
    employees (id) {
        id -> BigInt,
        name -> Text,
        age -> Integer,
        position -> Text,
        email -> Nullable<Text>,
        department_id -> Nullable<BigInt>,
        hired_on -> Nullable<Date>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    employees_history (history_id) {
        history_id -> BigInt,
        id -> BigInt,
        name -> Text,
        age -> Integer,
        position -> Text,
        email -> Nullable<Text>,
        department_id -> Nullable<BigInt>,
        hired_on -> Nullable<Date>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        history_operation -> Text,
        history_at -> Timestamp,
        history_user -> Nullable<Text>,
        history_database_user -> Nullable<Text>,
    }
}

diesel::table! {
    staffdb_actor (id) {
        id -> BigInt,
        user_name -> Text,
    }
}

diesel::table! {
    staffdb_api_tokens (id) {
        id -> BigInt,
        name -> Text,
        user_id -> BigInt,
        token_hash -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    staffdb_role_permissions (role_id, model, action) {
        role_id -> BigInt,
        model -> Text,
        action -> Text,
    }
}

diesel::table! {
    staffdb_roles (id) {
        id -> BigInt,
        name -> Text,
    }
}

diesel::table! {
    staffdb_schema_versions (version) {
        version -> Text,
    }
}

diesel::table! {
    staffdb_sessions (token_hash) {
        token_hash -> Text,
        user_id -> BigInt,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
    }
}

diesel::table! {
    staffdb_users (id) {
        id -> BigInt,
        name -> Text,
        password_hash -> Text,
        role_id -> BigInt,
        disabled -> Bool,
        created_at -> Timestamp,
    }
}

diesel::joinable!(employees -> departments (department_id));
diesel::joinable!(staffdb_api_tokens -> staffdb_users (user_id));
diesel::joinable!(staffdb_role_permissions -> staffdb_roles (role_id));
diesel::joinable!(staffdb_sessions -> staffdb_users (user_id));
diesel::joinable!(staffdb_users -> staffdb_roles (role_id));

diesel::allow_tables_to_appear_in_same_query!(
    departments,
    departments_history,
    employees,
    employees_history,
    staffdb_actor,
    staffdb_api_tokens,
    staffdb_role_permissions,
    staffdb_roles,
    staffdb_schema_versions,
    staffdb_sessions,
    staffdb_users,
);
