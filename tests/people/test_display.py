"""Namesakes in pickers: the label tells them apart, a unique name stays plain."""
from volunteer_app.people.display import distinguishing_labels


def test_unique_names_stay_plain_and_namesakes_show_grid_and_phone_tail(app_ctx, make_grid, make_volunteer):
    first = make_grid(name="网格一")
    second = make_grid(community=None, name="网格二")
    zhou_a = make_volunteer(grid=first, name="周岩", phone="13900001111")
    zhou_b = make_volunteer(grid=second, name="周岩", phone="13900001234")
    li = make_volunteer(grid=first, name="李娜")

    with app_ctx.test_request_context():
        labels = distinguishing_labels([zhou_a, zhou_b, li])

    assert labels == {
        zhou_a.id: "周岩（网格一 · 尾号 1111）",
        zhou_b.id: "周岩（网格二 · 尾号 1234）",
        li.id: "李娜",
    }


def test_a_name_is_plain_when_its_namesake_is_not_in_the_list(app_ctx, make_volunteer):
    zhou = make_volunteer(name="周岩")
    make_volunteer(grid=None, name="周岩")
    assert distinguishing_labels([zhou]) == {zhou.id: "周岩"}
