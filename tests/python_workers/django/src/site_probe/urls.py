import json

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt


def hello(request, name):
    return JsonResponse({"hello": name, "method": request.method})


@csrf_exempt
def echo(request):
    return JsonResponse({"received": json.loads(request.body), "length": len(request.body)})


urlpatterns = [path("hello/<str:name>", hello), path("echo", echo)]
