"""Authentication: password hashing, access tokens, opaque tokens, the acting viewer."""
