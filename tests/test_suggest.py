from cigen.suggest import did_you_mean


def test_a_close_name_is_offered_bare_by_default():
    assert did_you_mean("uttils", ["utils", "ui", "api"]) == "did you mean utils?"


def test_up_to_two_candidates_are_offered_joined_by_or():
    assert did_you_mean("@acme/uttils", ["@acme/utils", "@acme/ui", "web"]) == "did you mean @acme/utils or @acme/ui?"


def test_service_names_are_quoted_as_cigen_yaml_spells_them():
    assert did_you_mean("databse", ["database", "cache"], n=1, quote=True) == "did you mean 'database'?"


def test_nothing_close_gives_no_hint():
    assert did_you_mean("zzz", ["api", "web"]) is None


def test_the_word_itself_is_never_suggested():
    assert did_you_mean("build", ["build"]) is None
