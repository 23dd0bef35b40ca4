"""``strangler port``: a first draft of a route's port, from what legacy was seen to serve
(the traffic recorder's rows): a FastAPI router module with Pydantic v2 models, and parity
case files built from the recorded exchanges."""
