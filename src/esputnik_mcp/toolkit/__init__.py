"""What tool modules are built from: the input and output bases, the context a handler gets, its
result and failures, shared parameter types and views, and how results are rendered for the model.
Tool modules live in ``esputnik_mcp.tools``; nothing here is a tool."""
