"""Read models: typed views of the queue, the item, its evidence and decisions, and the one
object-level access policy, asked alike by the web, the CLI and the flows."""
