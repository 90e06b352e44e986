"""The one place that talks to a database server; stages never import a driver."""
