"""The only write path. Each action checks access, writes its rows, one audit entry and its
event-log rows in one transaction, and publishes the events after commit."""
