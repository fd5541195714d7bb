"""esputnik-mcp: an MCP server for eSputnik (Yespo), with a built-in sandbox."""

__version__ = "0.1.0"
