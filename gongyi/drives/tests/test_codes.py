"""Unit codes: the check character catches every single wrong character and every swap."""

from __future__ import annotations

from gongyi.drives.codes import ALPHABET, BODY_LENGTH, check_character, is_valid_code, new_code, normalize_code


def test_new_codes_are_valid_and_use_the_alphabet():
    for _ in range(500):
        code = new_code()
        assert len(code) == 6
        assert set(code) <= set(ALPHABET)
        assert is_valid_code(code)


def test_every_single_substitution_is_caught():
    code = new_code()
    for position in range(len(code)):
        for ch in ALPHABET:
            if ch != code[position]:
                assert not is_valid_code(code[:position] + ch + code[position + 1 :])


def test_every_swap_of_two_different_body_characters_is_caught():
    body = "A7K3Q"
    code = body + check_character(body)
    for i in range(BODY_LENGTH):
        for j in range(i + 1, BODY_LENGTH):
            swapped = list(code)
            swapped[i], swapped[j] = swapped[j], swapped[i]
            assert not is_valid_code("".join(swapped))


def test_normalise_and_refuse_confusable_characters():
    code = new_code()
    assert is_valid_code(" " + code.lower()[:3] + "-" + code.lower()[3:] + " ")
    assert normalize_code(" k7m-3qx ") == "K7M3QX"
    assert not is_valid_code("O0I1SZ")
    assert not is_valid_code("")
    assert not is_valid_code(None)
    assert not is_valid_code(code + "2")
