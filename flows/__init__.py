"""Prefect flows: thin orchestration of the core's services (review, publish, deadlines).

Nothing here is the record of a decision: the core's database and audit log are. Importing this
package does not import Prefect; ``flows.pipeline`` and ``flows.server`` do.
"""
