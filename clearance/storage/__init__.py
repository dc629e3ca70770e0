"""Storage: SQLAlchemy engine and models, the unit of work, and the content-addressed blob store."""
