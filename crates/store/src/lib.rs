//! Storage: the connection, migrations, and the tenant scope.
