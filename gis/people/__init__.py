"""People (一户一档): households and residents, masked unless revealed."""
