"""Alembic migrations, shipped in the wheel: ``clearance.storage.migrate`` points Alembic at this
package (``script_location = clearance:migrations``), never at a source checkout."""
