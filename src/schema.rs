// @generated automatically by Diesel CLI.

diesel::table! {
    departments (id) {
        id -> BigInt,
        name -> Text,
        created_at -> Timestamp,
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
    staffdb_schema_versions (version) {
        version -> Text,
    }
}

diesel::joinable!(employees -> departments (department_id));

diesel::allow_tables_to_appear_in_same_query!(departments, employees, staffdb_schema_versions,);
