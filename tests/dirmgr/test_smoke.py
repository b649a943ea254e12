def test_it_redirects_anonymous_visitors_to_sign_in(client, db):
    response = client.get("/identity-stores/")
    assert response.status_code == 302
    assert response.url.startswith("/login/")
