"""Masking of URL passwords, credential parameters and known secrets in free text."""

from __future__ import annotations

import pytest

from service.core.secrets import MASK, credentials_in, is_secret_key, mask_text, mask_url, secret_forms

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("key", ["password", "PassWord", "sslpassword", "api_key", "api-key", "x%5Ftoken", "client_secret"])
def test_credential_parameter_names_are_recognised(key: str) -> None:
    """Any case, percent-encoding or dash spelling of a credential name counts as a secret key."""
    assert is_secret_key(key)


@pytest.mark.parametrize("key", ["ssl", "timeout", "user", "host"])
def test_ordinary_parameters_are_not_secret(key: str) -> None:
    """Masking ordinary options would make URLs unreadable for no gain."""
    assert not is_secret_key(key)


def test_userinfo_password_is_masked_whole_even_with_reserved_characters() -> None:
    """A password holding @, : or / is replaced entirely; scheme, user and host stay."""
    assert mask_url("postgresql://me:p@ss:w/rd@db:5432/x") == f"postgresql://me:{MASK}@db:5432/x"
    assert mask_url("http://es:9200/_cluster") == "http://es:9200/_cluster"


def test_credential_query_values_are_masked_and_others_kept() -> None:
    """?password= and &token= values go, ?ssl= stays."""
    assert mask_url("postgresql://h/db?ssl=on&password=pw1&token=t2") == f"postgresql://h/db?ssl=on&password={MASK}&token={MASK}"


def test_known_secrets_are_masked_in_every_encoding_longest_first() -> None:
    """A configured secret is hidden raw and percent-encoded; a secret containing another is replaced whole."""
    assert set(secret_forms("a b/c")) == {"a b/c", "a%20b%2Fc", "a+b%2Fc"}
    text = mask_text("raw=tok-abc/def enc=tok-abc%2Fdef part=tok-abc", ["tok-abc/def", "tok-abc"])
    assert text == f"raw={MASK} enc={MASK} part={MASK}"


def test_libpq_keyword_passwords_are_masked() -> None:
    """A driver message in libpq's keyword form must not carry the password."""
    assert mask_text("host=db password='x y z' user=u") == f"host=db password={MASK} user=u"


def test_credentials_in_lists_the_secret_values_of_a_url() -> None:
    """The values a URL carries, raw and decoded, so mask_text can hide them elsewhere."""
    assert credentials_in("postgresql://u:p%40ss@h/db?apikey=k%2B1") == ("p%40ss", "p@ss", "k%2B1", "k+1")
    assert credentials_in(None) == () and credentials_in("sqlite:///a.db") == ()
